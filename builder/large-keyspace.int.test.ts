// No read may assume the keyspace fits one gRPC message (4 MiB): with more than that under
// /apps (80 manifests of 60 KiB, plus big junk keys beside them), under one manifest's
// /instances, under /assign, /users and /tokens, a freshly started builder process answers
// the app list, status, instances, hosts, users and tokens — no 503.
import t from 'tap'
import { DEFAULT_LIMITS } from '../schemas/index.js'
import { testEtcd } from '../test/support/etcd.js'
import { builderProcess } from './testing.js'

t.test('a keyspace larger than one gRPC message', { timeout: 240_000 }, async t => {
  const etcd = testEtcd(t)
  const keys = new (await import('../schemas/index.js')).KeyLayout(etcd.prefix)
  const manifest = JSON.stringify({ image: 'dokkaa/busybox:test', env: { PAD: 'p'.repeat(DEFAULT_LIMITS.bytes - 5 * 1024) } })
  t.ok(manifest.length > 55 * 1024 && manifest.length < DEFAULT_LIMITS.bytes, 'each manifest is valid and ~60 KiB')
  const junk = 'j'.repeat(900 * 1024)
  const puts: Promise<unknown>[] = []
  const put = (key: string, value: string) => { puts.push(etcd.client.put(key).value(value).exec()) }
  for (let i = 0; i < 80; i++) put(keys.manifest({ app: `app${String(i).padStart(2, '0')}`, name: 'web' }), manifest)
  for (let i = 0; i < 3; i++) put(`${keys.apps}app00/web/other${i}`, junk)
  for (let i = 0; i < 5; i++) {
    put(keys.instance({ app: 'app00', name: 'web', index: i }), junk)
    put(keys.assignment('h1', { app: 'app01', name: 'web', index: i }), junk)
    put(`${keys.users}junk${i}`, junk)
    put(`${keys.tokens}${'0'.repeat(11)}${i}`, junk)
  }
  await Promise.all(puts)
  const plain = await etcd.client.getAll().prefix(keys.apps).exec().then(() => 'ok', (e: Error) => e.message)
  t.match(plain, /RESOURCE_EXHAUSTED|larger than max/i, 'a single range read of /apps is too large for gRPC')

  const b = await builderProcess(t, { etcd })
  const get = async (path: string) => {
    const res = await fetch(`${b.url}${path}`, { headers: b.root })
    return { status: res.status, body: await res.text() }
  }
  const list = await get('/api/v1/apps')
  t.equal(list.status, 200, 'the app list', { body: list.body.slice(0, 300) })
  t.equal((JSON.parse(list.body) as unknown[]).length, 80, 'every app')
  const status = await get('/api/v1/apps/app42/web/status')
  t.equal(status.status, 200, 'a status')
  t.equal((await get('/api/v1/apps/app42/web')).status, 200)
  t.equal((await get('/api/v1/apps/app00/web/instances')).status, 200, 'instances of a manifest with 4.5 MiB of them')
  t.equal((await get('/api/v1/hosts')).status, 200, 'hosts, with 4.5 MiB of assignments')
  t.equal((await get('/api/v1/users')).status, 200, 'users')
  t.equal((await get('/api/v1/tokens')).status, 200, 'tokens')
  t.equal((await get('/v2/keys/apps?recursive=true')).status, 200, 'the v2 listing')
  const write = await fetch(`${b.url}/api/v1/apps/app00/web2/manifest`, { method: 'PUT', headers: { ...b.root, 'content-type': 'application/json' }, body: JSON.stringify({ image: 'x' }) })
  t.equal(write.status, 201, 'a write next to them')
  const del = await fetch(`${b.url}/api/v1/apps/app00/web2`, { method: 'DELETE', headers: b.root })
  t.equal(del.status, 204, 'a delete (which reads the app\'s keys)')
})
