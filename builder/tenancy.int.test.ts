// Two real users side by side on a real builder process: bob can reach nothing of alice's
// app through any route (REST and v2: manifest, status, lifecycle, logs, scale, events)
// or any spelling of its name (case, percent-encoding, "..", double and trailing
// slashes). Every attempt is a 404, 403 or 400, and etcd holds exactly what alice wrote.
import t from 'tap'
import { builderProcess, nginx, rawRequest } from './testing.js'

t.test('cross-tenant: every route and every spelling of another user\'s app is refused', async t => {
  const b = await builderProcess(t)
  const alice = await b.user('alice')
  const bob = await b.user('bob')
  const put = await fetch(`${b.url}/api/v1/apps/shop/web/manifest`, { method: 'PUT', headers: { ...alice, 'content-type': 'application/json' }, body: JSON.stringify(nginx) })
  t.equal(put.status, 201, 'alice owns shop')
  const before = await b.etcd.client.getAll().prefix(b.keys.apps).strings()
  const ownerBefore = await b.etcd.client.get(b.keys.owner('shop')).string()

  // Spellings of "shop" (and of its manifest "web") a path parser might fold into it.
  const apps = ['shop', 'Shop', 'SHOP', '%73hop', '%53hop', 'sh%6fp', 'shop%2F', 'shop%00', '.%2Fshop', '..%2Fshop', 'x%2F..%2Fshop', 'shop%20', '%20shop', 'shop.', 'shop/.', './shop', 'x/../shop']
  const names = ['web', 'Web', '%77eb', 'web%2F', 'web/.']
  const manifest = JSON.stringify({ ...nginx, image: 'evil' })
  const json = { ...bob, 'content-type': 'application/json' }
  const form = { ...bob, 'content-type': 'application/x-www-form-urlencoded' }
  const seen: string[] = []
  const check = async (method: string, path: string, headers: Record<string, string>, body?: string) => {
    const res = await rawRequest(b.url, { method, path, headers, body })
    seen.push(`${res.status} ${method} ${path}`)
    t.ok([400, 403, 404].includes(res.status), `${method} ${path} as bob: ${res.status}`, { body: res.body.slice(0, 200) })
  }
  for (const app of apps) {
    for (const name of names) {
      const base = `/api/v1/apps/${app}/${name}`
      await check('GET', base, bob)
      await check('GET', `${base}/manifest`, bob)
      await check('PUT', `${base}/manifest`, json, manifest)
      await check('PUT', `${base}/manifest/`, json, manifest)
      await check('PUT', `/api/v1/apps//${app}/${name}/manifest`, json, manifest)
      await check('PUT', `/api/v1//apps/${app}/${name}/manifest`, json, manifest)
      await check('DELETE', base, bob)
      await check('GET', `${base}/status`, bob)
      await check('GET', `${base}/state`, bob)
      await check('GET', `${base}/instances`, bob)
      await check('GET', `${base}/instances/0/state`, bob)
      await check('GET', `${base}/instances/0/logs`, bob)
      await check('POST', `${base}/scale`, json, JSON.stringify({ scale: 5 }))
      for (const verb of ['stop', 'start', 'restart', 'pause', 'unpause']) await check('POST', `${base}/actions/${verb}`, bob)
      await check('POST', `${base}/instances/0/actions/stop`, bob)
      const v2 = `/v2/keys/apps/${app}/${name}/manifest`
      await check('GET', v2, bob)
      await check('PUT', v2, form, `value=${encodeURIComponent(manifest)}`)
      await check('PUT', `${v2}?value=${encodeURIComponent(manifest)}`, bob)
      await check('PUT', `/v2/keys/apps/${app}//${name}/manifest`, form, `value=${encodeURIComponent(manifest)}`)
      await check('PUT', `/v2/keys//apps/${app}/${name}/manifest/`, form, `value=${encodeURIComponent(manifest)}`)
      await check('DELETE', v2, bob)
    }
    await check('GET', `/api/v1/apps/${app}`, bob)
    await check('GET', `/v2/keys/apps/${app}`, bob)
    await check('GET', `/v2/keys/apps/${app}?recursive=true`, bob)
  }
  t.ok(seen.length > 1000, `${seen.length} attempts`)

  // Lists show bob nothing of alice's.
  const list = await (await fetch(`${b.url}/api/v1/apps`, { headers: bob })).json() as unknown[]
  t.same(list, [], "bob's app list is empty")
  const v2list = await (await fetch(`${b.url}/v2/keys/apps?recursive=true`, { headers: bob })).json() as { node: { nodes: unknown[] } }
  t.same(v2list.node.nodes, [])

  // Live events: bob's stream sees nothing of shop while alice changes it.
  const ctl = new AbortController()
  t.teardown(() => ctl.abort())
  const stream = await fetch(`${b.url}/api/v1/events`, { headers: bob, signal: ctl.signal })
  t.equal(stream.status, 200)
  const reader = stream.body!.getReader()
  let text = ''
  const readSome = async (until: (s: string) => boolean) => {
    while (!until(text)) {
      const c = await reader.read()
      if (c.done) break
      text += Buffer.from(c.value).toString()
    }
  }
  await readSome(s => s.includes('event: ready'))
  await fetch(`${b.url}/api/v1/apps/shop/web/actions/stop`, { method: 'POST', headers: alice })
  await fetch(`${b.url}/api/v1/apps/mine/web/manifest`, { method: 'PUT', headers: { ...bob, 'content-type': 'application/json' }, body: JSON.stringify(nginx) })
  await readSome(s => s.includes('"app":"mine"'))
  t.notMatch(text, /shop/, "bob's event stream never mentions shop")

  const after = (await b.etcd.client.getAll().prefix(b.keys.apps).strings())
  const { [b.keys.control({ app: 'shop', name: 'web' })]: _control, [b.keys.manifest({ app: 'mine', name: 'web' })]: _mine, ...rest } = after
  t.same(rest, before, "etcd holds exactly alice's manifest, unchanged (plus her own stop and bob's own app)")
  t.equal(await b.etcd.client.get(b.keys.owner('shop')).string(), ownerBefore, 'shop is still alice\'s')
  t.same(Object.keys(after).filter(k => !k.startsWith(b.keys.app('shop')) && !k.startsWith(b.keys.app('mine'))), [], 'no key under any other spelling')
})
