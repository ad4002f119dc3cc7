// Manifest limits (schemas/limits.ts, tightened by /config/policy) are enforced before
// anything is stored or parsed deeply, on the REST API and the v2 keys API; and a huge or
// absurdly nested value written straight into etcd never makes a read fail.
import t from 'tap'
import { DEFAULT_LIMITS } from '../schemas/index.js'
import { waitFor } from '../test/support/wait-for.js'
import { builderFixture, nginx } from './testing.js'

function nested(levels: number, leaf = '1'): string {
  return '{"a":'.repeat(levels) + leaf + '}'.repeat(levels)
}

t.test('a 5,000-level manifest is a 400 naming limits.depth, on every way in', async t => {
  const f = await builderFixture(t)
  const text = `{"image":"x","env":${nested(5000)}}`
  const json = await f.req({ method: 'PUT', url: '/api/v1/apps/deep/web/manifest', auth: f.root, headers: { 'content-type': 'application/json' }, payload: text })
  t.equal(json.statusCode, 400, 'JSON body')
  t.equal(json.json().error.code, 'DKA_BUILDER_INVALID_MANIFEST')
  t.match(json.json().error.details.errors[0].message, /nests deeper than 8 levels \(limits\.depth\)/)
  const plain = await f.req({ method: 'PUT', url: '/api/v1/apps/deep/web/manifest', auth: f.root, headers: { 'content-type': 'text/plain' }, payload: text })
  t.equal(plain.statusCode, 400, 'text body')
  const array = await f.req({ method: 'PUT', url: '/api/v1/apps/deep/web/manifest', auth: f.root, headers: { 'content-type': 'application/json' }, payload: '['.repeat(100_000) + ']'.repeat(100_000) })
  t.equal(array.statusCode, 400, '100,000 nested arrays')
  const validate = await f.req({ method: 'POST', url: '/api/v1/validate', auth: f.root, headers: { 'content-type': 'application/json' }, payload: text })
  t.equal(validate.statusCode, 200)
  t.equal(validate.json().ok, false)
  const v2 = await f.req({ method: 'PUT', url: '/v2/keys/apps/deep/web/manifest', auth: f.root, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `value=${encodeURIComponent(text)}` })
  t.equal(v2.statusCode, 400, 'v2 form value')
  t.equal(v2.json().errorCode, 209)
  t.match(v2.json().cause, /limits\.depth/)
  const v2json = await f.req({ method: 'PUT', url: '/v2/keys/apps/deep/web/manifest', auth: f.root, headers: { 'content-type': 'application/json' }, payload: `{"value":${JSON.stringify(text)}}` })
  t.equal(v2json.statusCode, 400, 'v2 JSON value')
  const scaleDeep = await f.req({ method: 'POST', url: '/api/v1/apps/deep/web/scale', auth: f.root, headers: { 'content-type': 'application/json' }, payload: `{"scale":${nested(5000)}}` })
  t.equal(scaleDeep.statusCode, 400, 'a deep body on another route')
  t.same(await f.etcd.client.getAll().prefix(f.keys.apps).keys(), [], 'nothing stored')
})

t.test('size: over limits.bytes is a 400 naming it; over the body limit a 413 naming it', async t => {
  const f = await builderFixture(t)
  const big = JSON.stringify({ image: 'x', env: { BIG: 'y'.repeat(DEFAULT_LIMITS.bytes) } })
  const res = await f.req({ method: 'PUT', url: '/api/v1/apps/big/web/manifest', auth: f.root, payload: JSON.parse(big) })
  t.equal(res.statusCode, 400)
  t.match(res.json().error.details.errors[0].message, /limit is 65536 \(limits\.bytes\)/)
  const huge = await f.req({ method: 'PUT', url: '/api/v1/apps/big/web/manifest', auth: f.root, headers: { 'content-type': 'text/plain' }, payload: 'x'.repeat(2 * 1024 * 1024) })
  t.equal(huge.statusCode, 413)
  t.equal(huge.json().error.code, 'DKA_BUILDER_BAD_REQUEST')
  t.match(huge.json().error.message, /limits\.bytes/)
  const v2 = await f.req({ method: 'PUT', url: '/v2/keys/apps/big/web/manifest', auth: f.root, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `value=${encodeURIComponent(big)}` })
  t.equal(v2.statusCode, 400)
  t.match(v2.json().cause, /limits\.bytes/)
})

t.test('the cluster policy tightens limits; an invalid policy leaves the last valid one in force', async t => {
  const f = await builderFixture(t)
  const env3 = { image: 'x', env: { A: 1, B: 2, C: 3 } }
  t.equal((await f.req({ method: 'PUT', url: '/api/v1/apps/p/web/manifest', auth: f.root, payload: env3 })).statusCode, 201, 'no policy: defaults')
  await f.kv.put(f.keys.policy, JSON.stringify({ limits: { env: 2 } }))
  const refused = await f.req({ method: 'PUT', url: '/api/v1/apps/p/web/manifest', auth: f.root, payload: env3 })
  t.equal(refused.statusCode, 400)
  t.match(refused.json().error.details.errors[0].message, /env has 3 entries; the limit is 2 \(limits\.env\)/)
  t.equal((await f.req({ method: 'PUT', url: '/v2/keys/apps/p/web/manifest', auth: f.root, payload: { value: JSON.stringify(env3) } })).statusCode, 400, 'v2 too')
  const validate = await f.req({ method: 'POST', url: '/api/v1/validate', auth: f.root, payload: env3 })
  t.equal(validate.json().ok, false, 'validate applies the policy')
  await f.kv.put(f.keys.policy, '{"limits": {"env": "two"}, "nonsense": true')
  t.equal((await f.req({ method: 'PUT', url: '/api/v1/apps/p/web/manifest', auth: f.root, payload: env3 })).statusCode, 400, 'an invalid policy: the last valid one holds')
  await f.kv.put(f.keys.policy, JSON.stringify({ limits: { env: 5 } }))
  t.equal((await f.req({ method: 'PUT', url: '/api/v1/apps/p/web/manifest', auth: f.root, payload: env3 })).statusCode, 200, 'a new valid policy takes over')
  await f.kv.put(f.keys.policy, JSON.stringify({ allowHostNetwork: true }))
  t.equal((await f.req({ method: 'PUT', url: '/api/v1/apps/p/net/manifest', auth: f.root, payload: { image: 'x', dockerflags: { NetworkMode: 'host' } } })).statusCode, 201, 'allowHostNetwork')
})

t.test('huge and nested values written straight into etcd never make a read fail', async t => {
  const f = await builderFixture(t)
  const alice = await f.user('alice')
  t.equal((await f.req({ method: 'PUT', url: '/api/v1/apps/ok/web/manifest', auth: f.root, payload: nginx })).statusCode, 201)
  t.equal((await f.req({ method: 'PUT', url: '/api/v1/apps/mine/web/manifest', auth: alice, payload: nginx })).statusCode, 201)
  const deep = nested(5000)
  const deepArray = '['.repeat(200_000) + ']'.repeat(200_000)
  const junk: [string, string][] = [
    [f.keys.manifest({ app: 'deep', name: 'web' }), `{"image":"x","env":${deep}}`],
    [f.keys.status({ app: 'deep', name: 'web' }), deep],
    [f.keys.control({ app: 'deep', name: 'web' }), deep],
    [f.keys.manifest({ app: 'arr', name: 'web' }), deepArray],
    [f.keys.status({ app: 'arr', name: 'web' }), deepArray],
    [f.keys.manifest({ app: 'big', name: 'web' }), JSON.stringify({ image: 'x', scale: 1_000_000_000, env: { A: 'z'.repeat(1_000_000) } })],
    [f.keys.status({ app: 'big', name: 'web' }), JSON.stringify({ phase: 'Running', errors: 'z'.repeat(1_000_000), running: 'many' })],
    [f.keys.control({ app: 'big', name: 'web' }), JSON.stringify({ state: { deep: true }, instances: 'no', restartGeneration: 'x' })],
    [f.keys.instance({ app: 'ok', name: 'web', index: 0 }), deep],
    [f.keys.instance({ app: 'ok', name: 'web', index: 1 }), JSON.stringify({ host: 5, ports: { web: 'not a port' }, restarts: 'many', state: { x: 1 } })],
    [f.keys.instance({ app: 'mine', name: 'web', index: 0 }), '["not", "a", "record"]'],
    [f.keys.owner('deep'), deep],
    [f.keys.owner('arr'), JSON.stringify({ user: { name: 'alice' } })],
    [f.keys.host('h1'), deep],
    [f.keys.host('h2'), JSON.stringify({ cpus: 'lots', memory: { a: 1 }, labels: 'x', address: 7 })],
  ]
  for (const [key, value] of junk) await f.etcd.client.put(key).value(value)
  await waitFor(async () => (await f.req({ method: 'GET', url: '/api/v1/apps/big/web', auth: f.root })).statusCode === 200, { what: 'the junk reached the copy' })
  for (const url of [
    '/api/v1/apps', '/api/v1/apps/deep', '/api/v1/apps/deep/web', '/api/v1/apps/deep/web/manifest', '/api/v1/apps/deep/web/status',
    '/api/v1/apps/deep/web/state', '/api/v1/apps/arr/web', '/api/v1/apps/big/web', '/api/v1/apps/big/web/state', '/api/v1/apps/big/web/status',
    '/api/v1/apps/ok/web/instances', '/api/v1/apps/ok/web/state', '/api/v1/apps/ok/web/instances/0/state', '/api/v1/hosts',
    '/v2/keys/apps?recursive=true', '/v2/keys/apps/deep/web/manifest', '/v2/keys/apps/big',
  ]) {
    const res = await f.req({ method: 'GET', url, auth: f.root })
    t.equal(res.statusCode, 200, `GET ${url} as root`, { body: res.body.slice(0, 200) })
  }
  for (const url of ['/api/v1/apps', '/api/v1/apps/mine/web/instances', '/api/v1/apps/mine/web/state', '/v2/keys/apps?recursive=true']) {
    t.equal((await f.req({ method: 'GET', url, auth: alice })).statusCode, 200, `GET ${url} as alice`)
  }
  const list = (await f.req({ method: 'GET', url: '/api/v1/apps', auth: f.root })).json() as { app: string; manifests: { manifest: unknown }[] }[]
  t.same(list.find(a => a.app === 'deep')?.manifests[0]?.manifest, null, 'an unreadable manifest shows as null')
  const state = (await f.req({ method: 'GET', url: '/api/v1/apps/big/web/state', auth: f.root })).json()
  t.ok(state.state.length <= 1000, 'a scale out of range is not taken at its word')
  t.equal((await f.req({ method: 'POST', url: '/api/v1/apps/big/web/actions/stop', auth: f.root })).statusCode, 202, 'a junk control record is replaced by a verb')
})
