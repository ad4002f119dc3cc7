// Apps, manifests, ownership, lifecycle, instances, hosts: in-process against a real etcd.
import t from 'tap'
import type { HostRecord, InstanceRecord } from '../schemas/index.js'
import { waitFor } from '../test/support/wait-for.js'
import { builderFixture, nginx } from './testing.js'

t.test('manifests: put, get, list, status, delete; invalid ones are refused with every error', async t => {
  const f = await builderFixture(t)
  const put = await f.req({ method: 'PUT', url: '/api/v1/apps/dummy/nginx/manifest', auth: f.root, payload: nginx })
  t.equal(put.statusCode, 201)
  t.same(put.json().manifest, nginx)
  t.equal((await f.req({ method: 'PUT', url: '/api/v1/apps/dummy/nginx/manifest', auth: f.root, payload: { ...nginx, scale: 2 } })).statusCode, 200)
  t.same((await f.req({ method: 'GET', url: '/api/v1/apps/dummy/nginx/manifest', auth: f.root })).json(), { ...nginx, scale: 2 })
  const list = (await f.req({ method: 'GET', url: '/api/v1/apps', auth: f.root })).json()
  t.same(list.map((a: { app: string; owner: string }) => [a.app, a.owner]), [['dummy', 'root']])
  t.equal((await f.req({ method: 'GET', url: '/api/v1/apps/dummy', auth: f.root })).json().manifests[0].name, 'nginx')
  t.equal((await f.req({ method: 'GET', url: '/api/v1/apps/dummy/nginx/status', auth: f.root })).json(), null)
  await f.kv.put(f.keys.status({ app: 'dummy', name: 'nginx' }), JSON.stringify({ phase: 'Running', desired: 2, running: 2, revision: 1, errors: [], problems: [], lastEvent: { at: '', message: 'ok' }, updatedAt: '' }))
  // The scheduler's write reaches the builder's watched copy a moment later.
  const status = await waitFor(async () => (await f.req({ method: 'GET', url: '/api/v1/apps/dummy/nginx/status', auth: f.root })).json(), { what: 'the status record' })
  t.equal(status.phase, 'Running')
  t.equal((await f.req({ method: 'GET', url: '/api/v1/apps/dummy/nginx', auth: f.root })).json().status.running, 2)

  // invalid: 400 with the path and reason of each error, and nothing written
  const bad = await f.req({ method: 'PUT', url: '/api/v1/apps/dummy/nginx/manifest', auth: f.root, payload: { image: 'a b', scale: -1, bogus: true } })
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().error.code, 'DKA_BUILDER_INVALID_MANIFEST')
  t.same(bad.json().error.details.errors.map((e: { path: string }) => e.path).sort(), ['/bogus', '/image', '/scale'])
  t.same((await f.req({ method: 'GET', url: '/api/v1/apps/dummy/nginx/manifest', auth: f.root })).json(), { ...nginx, scale: 2 }, 'unchanged')
  const text = await f.req({ method: 'PUT', url: '/api/v1/apps/dummy/other/manifest', auth: f.root, headers: { 'content-type': 'text/plain' }, payload: '{"image": ' })
  t.equal(text.statusCode, 400)
  t.match(text.json().error.details.errors[0].message, /invalid JSON/)
  t.equal((await f.req({ method: 'GET', url: '/api/v1/apps/dummy/other', auth: f.root })).statusCode, 404, 'nothing written')
  t.equal((await f.req({ method: 'PUT', url: '/api/v1/apps/Dummy/nginx/manifest', auth: f.root, payload: nginx })).statusCode, 400, 'bad app name')

  t.equal((await f.req({ method: 'DELETE', url: '/api/v1/apps/dummy/nginx', auth: f.root })).statusCode, 204)
  t.equal((await f.req({ method: 'GET', url: '/api/v1/apps/dummy/nginx', auth: f.root })).statusCode, 404)
  t.equal((await f.req({ method: 'DELETE', url: '/api/v1/apps/dummy/nginx', auth: f.root })).statusCode, 404)
  t.equal((await f.req({ method: 'GET', url: '/api/v1/apps/dummy', auth: f.root })).statusCode, 404)
  t.equal(await f.kv.get(f.keys.owner('dummy')), undefined, 'the last manifest gone, the app is free again')
})

t.test('validate answers without writing', async t => {
  const f = await builderFixture(t)
  t.same((await f.req({ method: 'POST', url: '/api/v1/validate', auth: f.root, payload: nginx })).json().ok, true)
  const r = (await f.req({ method: 'POST', url: '/api/v1/validate', auth: f.root, headers: { 'content-type': 'text/plain' }, payload: '{"image": "x", "scale": "two"}' })).json()
  t.same(r, { ok: false, errors: [{ path: '/scale', message: 'must be integer' }] })
  t.equal((await f.req({ method: 'POST', url: '/api/v1/validate', payload: nginx })).statusCode, 401)
})

t.test('every app belongs to a user: others see 404, root sees all', async t => {
  const f = await builderFixture(t)
  const alice = await f.user('alice')
  const bob = await f.user('bob')
  t.equal((await f.req({ method: 'PUT', url: '/api/v1/apps/shop/web/manifest', auth: alice, payload: nginx })).statusCode, 201)
  t.equal((await f.req({ method: 'PUT', url: '/api/v1/apps/blog/web/manifest', auth: bob, payload: nginx })).statusCode, 201)
  const names = async (auth: { authorization: string }) =>
    (await f.req({ method: 'GET', url: '/api/v1/apps', auth })).json().map((a: { app: string }) => a.app).sort()
  t.same(await names(alice), ['shop'])
  t.same(await names(bob), ['blog'])
  t.same(await names(f.root), ['blog', 'shop'])
  for (const [method, url, payload] of [
    ['GET', '/api/v1/apps/shop'], ['GET', '/api/v1/apps/shop/web'], ['GET', '/api/v1/apps/shop/web/manifest'],
    ['GET', '/api/v1/apps/shop/web/status'], ['GET', '/api/v1/apps/shop/web/instances'], ['GET', '/api/v1/apps/shop/web/state'],
    ['POST', '/api/v1/apps/shop/web/actions/stop'], ['POST', '/api/v1/apps/shop/web/scale', { scale: 3 }],
    ['PUT', '/api/v1/apps/shop/web/manifest', nginx], ['PUT', '/api/v1/apps/shop/other/manifest', nginx],
    ['DELETE', '/api/v1/apps/shop/web'], ['GET', '/api/v1/apps/shop/web/instances/0/logs'],
  ] as const) {
    const res = await f.req({ method, url, auth: bob, ...(payload ? { payload } : {}) })
    t.equal(res.statusCode, 404, `${method} ${url} as bob`)
    t.equal(res.json().error.code, 'DKA_BUILDER_NOT_FOUND')
  }
  t.equal((await f.req({ method: 'GET', url: '/api/v1/apps/nothing/here', auth: bob })).json().error.message, 'no app "nothing"', 'missing and foreign look alike')
  t.equal((await f.req({ method: 'GET', url: '/api/v1/apps/shop/web', auth: f.root })).statusCode, 200)
  t.equal((await f.req({ method: 'PUT', url: '/api/v1/apps/shop/web/manifest', auth: f.root, payload: nginx })).statusCode, 200)
  t.same((await f.req({ method: 'GET', url: '/api/v1/apps', auth: f.root })).json().find((a: { app: string }) => a.app === 'shop').owner, 'alice', 'root editing keeps the owner')
  // an app written straight into etcd belongs to nobody: root's only
  await f.kv.put(f.keys.manifest({ app: 'legacy', name: 'x' }), JSON.stringify(nginx))
  t.equal((await f.req({ method: 'PUT', url: '/api/v1/apps/legacy/y/manifest', auth: alice, payload: nginx })).statusCode, 404)
  // written past the builder: it shows once the watch brought it
  t.equal(await waitFor(async () => (await f.req({ method: 'GET', url: '/api/v1/apps/legacy/x', auth: f.root })).statusCode === 200, { what: 'legacy/x' }), true)
})

t.test('scale sets or changes the manifest\'s scale', async t => {
  const f = await builderFixture(t)
  await f.req({ method: 'PUT', url: '/api/v1/apps/s/web/manifest', auth: f.root, payload: { image: 'nginx', env: { A: '1' } } })
  const up = await f.req({ method: 'POST', url: '/api/v1/apps/s/web/scale', auth: f.root, payload: { delta: 2 } })
  t.same(up.json().manifest, { image: 'nginx', env: { A: '1' }, scale: 3 })
  t.equal((await f.req({ method: 'POST', url: '/api/v1/apps/s/web/scale', auth: f.root, payload: { delta: -5 } })).json().manifest.scale, 0)
  t.equal((await f.req({ method: 'POST', url: '/api/v1/apps/s/web/scale', auth: f.root, payload: { scale: 4 } })).json().manifest.scale, 4)
  t.equal((await f.req({ method: 'POST', url: '/api/v1/apps/s/web/scale', auth: f.root, payload: {} })).statusCode, 400)
  t.equal((await f.req({ method: 'POST', url: '/api/v1/apps/s/web/scale', auth: f.root, payload: { scale: 1001 } })).statusCode, 400)
})

t.test('lifecycle verbs write the control record; state shows desired against actual', async t => {
  const f = await builderFixture(t)
  const ref = { app: 'life', name: 'web' }
  await f.req({ method: 'PUT', url: '/api/v1/apps/life/web/manifest', auth: f.root, payload: { image: 'nginx', scale: 2 } })
  const inst = (index: number, state: InstanceRecord['state']): InstanceRecord => ({
    host: 'h1', hostAddress: '10.0.0.1', containerId: `c${index}`, containerName: `life---web${index ? `---${index}` : ''}`,
    state, specHash: 'x', address: `172.17.0.${10 + index}`, ports: { web: 20000 + index }, restarts: index, startedAt: '2026-01-01T00:00:00Z', updatedAt: '',
  })
  await f.kv.put(f.keys.instance({ ...ref, index: 0 }), JSON.stringify(inst(0, 'running')))
  await f.kv.put(f.keys.instance({ ...ref, index: 1 }), JSON.stringify(inst(1, 'running')))

  const instances = (await f.req({ method: 'GET', url: '/api/v1/apps/life/web/instances', auth: f.root })).json()
  t.same(instances.map((i: InstanceRecord & { index: number }) => [i.index, i.host, i.state, i.address, i.ports, i.restarts, i.startedAt]), [
    [0, 'h1', 'running', '172.17.0.10', { web: 20000 }, 0, '2026-01-01T00:00:00Z'],
    [1, 'h1', 'running', '172.17.0.11', { web: 20001 }, 1, '2026-01-01T00:00:00Z'],
  ])

  const stop = await f.req({ method: 'POST', url: '/api/v1/apps/life/web/actions/stop', auth: f.root })
  t.equal(stop.statusCode, 202)
  t.same(stop.json().control, { state: 'stopped' })
  t.same(stop.json().state.map((s: { desired: string; converged: boolean }) => [s.desired, s.converged]), [['stopped', false], ['stopped', false]])
  t.same(JSON.parse((await f.kv.get(f.keys.control(ref)))!.value), { state: 'stopped' })

  await f.req({ method: 'POST', url: '/api/v1/apps/life/web/actions/start', auth: f.root })
  const pause1 = await f.req({ method: 'POST', url: '/api/v1/apps/life/web/instances/1/actions/pause', auth: f.root })
  t.same(pause1.json().state, [{ index: 1, desired: 'paused', actual: 'running', host: 'h1', converged: false }])
  await f.kv.put(f.keys.instance({ ...ref, index: 1 }), JSON.stringify(inst(1, 'paused')))
  t.same((await f.req({ method: 'GET', url: '/api/v1/apps/life/web/instances/1/state', auth: f.root })).json().state[0].converged, true)
  await f.req({ method: 'POST', url: '/api/v1/apps/life/web/instances/1/actions/unpause', auth: f.root })
  await f.req({ method: 'POST', url: '/api/v1/apps/life/web/actions/restart', auth: f.root })
  await f.req({ method: 'POST', url: '/api/v1/apps/life/web/instances/0/actions/restart', auth: f.root })
  t.same(JSON.parse((await f.kv.get(f.keys.control(ref)))!.value), { state: 'running', restartGeneration: 1, instances: { 0: { state: 'running', restartGeneration: 1 } } }, 'a verb on the manifest clears per-instance states')
  await f.req({ method: 'POST', url: '/api/v1/apps/life/web/actions/pause', auth: f.root })
  const state = (await f.req({ method: 'GET', url: '/api/v1/apps/life/web/state', auth: f.root })).json()
  t.same(state.state.map((s: { desired: string }) => s.desired), ['paused', 'paused'])
  t.equal(state.verb, 'state')

  t.equal((await f.req({ method: 'POST', url: '/api/v1/apps/life/web/actions/explode', auth: f.root })).statusCode, 400)
  t.equal((await f.req({ method: 'POST', url: '/api/v1/apps/life/web/instances/7/actions/stop', auth: f.root })).statusCode, 404)
  t.equal((await f.req({ method: 'GET', url: '/api/v1/apps/life/web/instances/7/state', auth: f.root })).statusCode, 404)
  t.equal((await f.req({ method: 'POST', url: '/api/v1/apps/life/nope/actions/stop', auth: f.root })).statusCode, 404)
})

t.test('hosts: capacity and load', async t => {
  const f = await builderFixture(t)
  const host = (id: string): HostRecord => ({ id, address: '10.0.0.1', labels: { zone: 'a' }, cpus: 2, memory: 4 * 1024 ** 3, engineVersion: '20.10', startedAt: '2026-01-01T00:00:00Z' })
  await f.kv.put(f.keys.host('h1'), JSON.stringify(host('h1')))
  await f.kv.put(f.keys.host('h2'), JSON.stringify(host('h2')))
  for (const index of [0, 1]) await f.kv.put(f.keys.assignment('h1', { app: 'a', name: 'b', index }), '{}')
  await f.kv.put(f.keys.assignment('h2', { app: 'a', name: 'c', index: 0 }), '{}')
  const hosts = (await f.req({ method: 'GET', url: '/api/v1/hosts', auth: f.root })).json()
  t.same(hosts.map((h: { id: string; load: number; cpus: number; memory: number; labels: object }) => [h.id, h.load, h.cpus, h.memory, h.labels]), [
    ['h1', 2, 2, 4 * 1024 ** 3, { zone: 'a' }], ['h2', 1, 2, 4 * 1024 ** 3, { zone: 'a' }],
  ])
  t.equal((await f.req({ method: 'GET', url: '/api/v1/hosts' })).statusCode, 401)
})

t.test('the OpenAPI document, the console files, unknown routes', async t => {
  const f = await builderFixture(t)
  const doc = (await f.req({ method: 'GET', url: '/api/v1/openapi.json' })).json()
  t.equal(doc.openapi, '3.0.3')
  for (const p of ['/api/v1/apps', '/api/v1/apps/{app}/{name}/manifest', '/api/v1/apps/{app}/{name}/actions/{verb}', '/api/v1/tokens', '/api/v1/users', '/api/v1/hosts', '/api/v1/events', '/v2/keys/{*}']) {
    t.ok(doc.paths[p], `documents ${p}`)
  }
  // Every error a route can answer is declared: 429 (the password limiter) wherever basic
  // auth is taken, 400 DKA_BUILDER_INVALID_NAME on app paths, 403 DKA_BUILDER_QUOTA_EXCEEDED and 413 on writes.
  const responses = (path: string, method: string) => Object.keys(doc.paths[path]?.[method]?.responses ?? {})
  for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>)) {
    for (const [method, op] of Object.entries(ops)) {
      if (path === '/api/v1/login') continue
      t.ok('429' in op.responses && '401' in op.responses, `${method} ${path} declares 401 and 429`)
      if (path.includes('{app}')) t.ok('400' in op.responses, `${method} ${path} declares 400`)
    }
  }
  for (const [path, method] of [['/api/v1/apps/{app}/{name}/manifest', 'put'], ['/api/v1/apps/{app}/{name}/scale', 'post'], ['/v2/keys/{*}', 'put']] as const) {
    t.ok(['403', '413'].every(c => responses(path, method).includes(c)), `${method} ${path} declares 403 and 413`)
  }
  t.match(JSON.stringify(doc.paths['/api/v1/apps/{app}/{name}/manifest'].put.responses['403']), /DKA_BUILDER_QUOTA_EXCEEDED/)
  t.match(JSON.stringify(doc.paths['/api/v1/apps/{app}'].get.responses['400']), /DKA_BUILDER_INVALID_NAME/)
  t.ok(doc.paths['/api/v1/login'].post.responses['429'].headers['retry-after'], 'Retry-After is documented')
  t.equal((await f.req({ method: 'GET', url: '/' })).headers.location, '/console/')
  const index = await f.req({ method: 'GET', url: '/console/' })
  t.equal(index.statusCode, 200)
  t.match(index.headers['content-type'], /text\/html/)
  t.match(index.body, /<script type="module" src="\/console\/js\/main.js">/)
  t.match((await f.req({ method: 'GET', url: '/console/js/views/app.js' })).headers['content-type'], /text\/javascript/)
  t.equal((await f.req({ method: 'GET', url: '/console/../app.ts' })).statusCode, 404)
  t.equal((await f.req({ method: 'GET', url: '/console/%2e%2e/app.ts' })).statusCode, 404)
  const nope = await f.req({ method: 'GET', url: '/api/v1/nothing', auth: f.root })
  t.equal(nope.statusCode, 404)
  t.same(nope.json().error.code, 'DKA_BUILDER_NOT_FOUND')
  t.same((await f.req({ method: 'GET', url: '/healthz' })).json(), { ok: true })
})

t.test('etcd unreachable: 503 DKA_BUILDER_STORE_UNAVAILABLE', async t => {
  const { Etcd3 } = await import('etcd3')
  const { KeyLayout } = await import('../schemas/index.js')
  const { buildApp } = await import('./app.js')
  // a port nothing listens on (loopback only)
  const client = new Etcd3({ hosts: 'http://127.0.0.1:1', dialTimeout: 500 })
  const app = await buildApp({ client, keys: new KeyLayout('/t-unreachable') })
  t.teardown(async () => { await app.close(); client.close() })
  const res = await app.inject({ method: 'GET', url: '/api/v1/apps', headers: { authorization: 'Basic cm9vdDp4' } })
  t.equal(res.statusCode, 503)
  t.equal(res.json().error.code, 'DKA_BUILDER_STORE_UNAVAILABLE')
})

t.test('a manifest written straight into etcd: root\'s very first request for it finds it (the copy loads on demand)', async t => {
  const f = await builderFixture(t)
  await f.kv.put(f.keys.manifest({ app: 'ops', name: 'seed' }), JSON.stringify(nginx))
  // Nothing has listed apps yet: an admin's get must not read a copy that never loaded.
  const res = await f.req({ method: 'GET', url: '/api/v1/apps/ops/seed', auth: f.root })
  t.equal(res.statusCode, 200, res.body)
  t.match(res.json(), { app: 'ops', name: 'seed', manifest: { image: 'nginx' } })
})
