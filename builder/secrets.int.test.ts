// Secrets and configs through the API, as their owner and others see them (issue 11): a
// secret is sealed in etcd (no plaintext there; it opens under the cluster key only with
// its own app, name and version), rotates by version, and its value appears in no reply —
// not the secret routes', not the app's, manifest's or status's, not an error's; the
// limits and the builder without a key answer with what to fix; configs are plain text,
// versioned, owner-only. A real builder process's log holds no value either.
import { randomBytes } from 'node:crypto'
import { chmod } from 'node:fs/promises'
import t from 'tap'
import { readClusterKey } from '../kit/secret-box.js'
import { MAX_SECRET_BYTES, readSecretRecord, secretAad } from '../schemas/index.js'
import { builderFixture, builderProcess, nginx, tempClusterKey } from './testing.js'

const octets = { 'content-type': 'application/octet-stream' }

t.test('an owner stores, rotates, lists and deletes secrets; the value is in no reply and not in etcd', async t => {
  const f = await builderFixture(t)
  const run = randomBytes(4).toString('hex')
  const app = `sec${run}`
  const value = `hunter2-${run}`
  const alice = await f.user(`alice${run}`)
  const bob = await f.user(`bob${run}`)
  const bodies: string[] = []
  const req = async (opts: Parameters<typeof f.req>[0]) => {
    const res = await f.req(opts)
    bodies.push(res.body)
    return res
  }

  // The app has no manifest yet: the first secret claims it for alice, as a first manifest would.
  const created = await req({ method: 'PUT', url: `/api/v1/apps/${app}/secrets/db-password`, auth: alice, headers: octets, payload: value })
  t.equal(created.statusCode, 201, created.body)
  t.same(Object.keys(created.json()).sort(), ['createdAt', 'name', 'updatedAt', 'version'], 'name, version and dates: nothing else')
  t.match(created.json(), { name: 'db-password', version: 1 })
  t.match(JSON.parse((await f.kv.get(f.keys.owner(app)))!.value), { user: `alice${run}` }, 'the app is alice\'s now')
  t.equal((await req({ method: 'PUT', url: `/api/v1/apps/${app}/secrets/db-password`, auth: bob, headers: octets, payload: 'bobs' })).statusCode, 404, 'bob cannot write into it')

  // In etcd: sealed, bound to app, name and version.
  const stored = (await f.kv.get(f.keys.secret(app, 'db-password')))!.value
  t.notMatch(stored, value, 'no plaintext in etcd')
  t.notMatch(stored, Buffer.from(value).toString('base64'), 'nor its base64')
  const rec = readSecretRecord(stored)!
  const key = readClusterKey(f.clusterKeyFile)
  t.equal(key.open(rec.sealed, secretAad(app, 'db-password', 1)).toString(), value, 'opens under the cluster key with its own aad')
  t.throws(() => key.open(rec.sealed, secretAad(app, 'db-password', 2)), /does not open/, 'not as another version')
  t.throws(() => key.open(rec.sealed, secretAad(`other${run}`, 'db-password', 1)), /does not open/, 'not in another app')

  // Rotation: JSON {"value"} too; version 2, same createdAt.
  const rotated = await req({ method: 'PUT', url: `/api/v1/apps/${app}/secrets/db-password`, auth: alice, payload: { value: `${value}-2` } })
  t.equal(rotated.statusCode, 200, rotated.body)
  t.match(rotated.json(), { name: 'db-password', version: 2, createdAt: created.json().createdAt })
  const rec2 = readSecretRecord((await f.kv.get(f.keys.secret(app, 'db-password')))!.value)!
  t.equal(key.open(rec2.sealed, secretAad(app, 'db-password', 2)).toString(), `${value}-2`)
  await req({ method: 'PUT', url: `/api/v1/apps/${app}/secrets/api-key`, auth: alice, headers: { 'content-type': 'text/plain' }, payload: `${value}-api` })

  const list = await req({ method: 'GET', url: `/api/v1/apps/${app}/secrets`, auth: alice })
  t.equal(list.statusCode, 200)
  t.same(list.json().map((s: { name: string; version: number }) => [s.name, s.version]), [['api-key', 1], ['db-password', 2]])
  for (const s of list.json()) t.same(Object.keys(s).sort(), ['createdAt', 'name', 'updatedAt', 'version'])
  t.equal((await req({ method: 'GET', url: `/api/v1/apps/${app}/secrets`, auth: bob })).statusCode, 404, 'bob: not found')
  t.equal((await req({ method: 'GET', url: `/api/v1/apps/${app}/secrets`, auth: f.root })).statusCode, 200, 'an admin sees them')

  // A manifest that names it: its views hold names only, and the secret cannot go while named.
  const manifest = { ...nginx, secrets: ['db-password'] }
  t.equal((await req({ method: 'PUT', url: `/api/v1/apps/${app}/web/manifest`, auth: alice, payload: manifest })).statusCode, 201)
  await f.kv.put(f.keys.status({ app, name: 'web' }), JSON.stringify({ phase: 'Running', desired: 1, running: 1, revision: 1, errors: [], problems: [], lastEvent: { at: '', message: '' }, updatedAt: '' }))
  for (const url of [`/api/v1/apps`, `/api/v1/apps/${app}`, `/api/v1/apps/${app}/web`, `/api/v1/apps/${app}/web/manifest`, `/api/v1/apps/${app}/web/status`, '/v2/keys/apps?recursive=true']) {
    t.equal((await req({ method: 'GET', url, auth: alice })).statusCode, 200, url)
  }
  const named = await req({ method: 'DELETE', url: `/api/v1/apps/${app}/secrets/db-password`, auth: alice })
  t.equal(named.statusCode, 409)
  t.match(named.json().error, { code: 'DKA_BUILDER_CONFLICT', message: new RegExp(`named by manifest ${app}/web: remove it from it`) })
  t.equal((await req({ method: 'DELETE', url: `/api/v1/apps/${app}/secrets/api-key`, auth: bob })).statusCode, 404, 'bob cannot delete')
  t.equal((await req({ method: 'DELETE', url: `/api/v1/apps/${app}/secrets/api-key`, auth: alice })).statusCode, 204)
  t.equal((await req({ method: 'DELETE', url: `/api/v1/apps/${app}/secrets/api-key`, auth: alice })).statusCode, 404, 'gone')

  // Refusals: limits named, bodies never quoted.
  const big = await req({ method: 'PUT', url: `/api/v1/apps/${app}/secrets/big`, auth: alice, headers: octets, payload: Buffer.alloc(MAX_SECRET_BYTES + 1, 'h') })
  t.equal(big.statusCode, 413)
  t.match(big.json().error, { code: 'DKA_BUILDER_BAD_REQUEST', message: /at most 16384 bytes \(MAX_SECRET_BYTES\), got 16385/ })
  const huge = await req({ method: 'PUT', url: `/api/v1/apps/${app}/secrets/big`, auth: alice, headers: octets, payload: Buffer.alloc(8 * MAX_SECRET_BYTES, 'h') })
  t.equal(huge.statusCode, 413, 'refused before it is read')
  t.match(huge.json().error.message, /at most 16384 bytes \(MAX_SECRET_BYTES\)/)
  const badJson = await req({ method: 'PUT', url: `/api/v1/apps/${app}/secrets/x`, auth: alice, headers: { 'content-type': 'application/json' }, payload: `{"value": "${value}", ` })
  t.equal(badJson.statusCode, 400)
  t.match(badJson.json().error.message, /\{"value": "<the secret>"\}/)
  t.equal((await req({ method: 'PUT', url: `/api/v1/apps/${app}/secrets/Bad_Name`, auth: alice, headers: octets, payload: value })).statusCode, 400, 'a name breaking the rule')

  for (const body of bodies) {
    t.notMatch(body, value, 'no reply holds a value')
    t.notMatch(body, Buffer.from(value).toString('base64'))
  }
  // Deleting the manifest keeps the name alice's while a secret is kept.
  t.equal((await f.req({ method: 'DELETE', url: `/api/v1/apps/${app}/web`, auth: alice })).statusCode, 204)
  t.equal((await f.req({ method: 'PUT', url: `/api/v1/apps/${app}/web/manifest`, auth: bob, payload: manifest })).statusCode, 404, 'bob cannot take the app (and mount alice\'s secret)')
  t.equal((await f.req({ method: 'DELETE', url: `/api/v1/apps/${app}/secrets/db-password`, auth: alice })).statusCode, 204)
  t.equal((await f.req({ method: 'PUT', url: `/api/v1/apps/${app}/web/manifest`, auth: bob, payload: nginx })).statusCode, 201, 'nothing of alice\'s left: the name is free')
})

t.test('configs: plain text, versioned, read back by their owner only', async t => {
  const f = await builderFixture(t)
  const run = randomBytes(4).toString('hex')
  const app = `cfg${run}`
  const alice = await f.user(`alice${run}`)
  const bob = await f.user(`bob${run}`)
  const text = 'listen = ":8080"\nname = "shop"\n'
  const put = await f.req({ method: 'PUT', url: `/api/v1/apps/${app}/configs/app-config`, auth: alice, headers: { 'content-type': 'text/plain' }, payload: text })
  t.equal(put.statusCode, 201, put.body)
  t.match(put.json(), { name: 'app-config', version: 1 })
  t.match(JSON.parse((await f.kv.get(f.keys.config(app, 'app-config')))!.value), { version: 1, data: text }, 'stored as text')
  const got = await f.req({ method: 'GET', url: `/api/v1/apps/${app}/configs/app-config`, auth: alice })
  t.equal(got.statusCode, 200)
  t.match(got.json(), { name: 'app-config', version: 1, data: text })
  const again = await f.req({ method: 'PUT', url: `/api/v1/apps/${app}/configs/app-config`, auth: alice, headers: octets, payload: 'x = 1\n' })
  t.match(again.json(), { version: 2 })
  t.match((await f.req({ method: 'GET', url: `/api/v1/apps/${app}/configs`, auth: alice })).json(), [{ name: 'app-config', version: 2 }])
  for (const [method, url] of [['GET', `/api/v1/apps/${app}/configs`], ['GET', `/api/v1/apps/${app}/configs/app-config`], ['PUT', `/api/v1/apps/${app}/configs/app-config`], ['DELETE', `/api/v1/apps/${app}/configs/app-config`]] as const) {
    t.equal((await f.req({ method, url, auth: bob, ...(method === 'PUT' ? { headers: octets, payload: 'bob' } : {}) })).statusCode, 404, `bob: ${method} ${url}`)
  }
  t.equal((await f.req({ method: 'PUT', url: `/api/v1/apps/${app}/configs/bin`, auth: alice, headers: octets, payload: Buffer.from([0xff, 0xfe]) })).statusCode, 400, 'not UTF-8')
  t.equal((await f.req({ method: 'DELETE', url: `/api/v1/apps/${app}/configs/app-config`, auth: alice })).statusCode, 204)
  t.equal((await f.req({ method: 'GET', url: `/api/v1/apps/${app}/configs/app-config`, auth: alice })).statusCode, 404)
})

t.test('a builder without a usable cluster key serves everything but secret writes, which say what to fix', async t => {
  const missing = await builderFixture(t, { clusterKeyFile: '/nonexistent/dokkaa/cluster.key' })
  const res = await missing.req({ method: 'PUT', url: '/api/v1/apps/nokey/secrets/s', auth: missing.root, headers: octets, payload: 'v' })
  t.equal(res.statusCode, 503)
  t.match(res.json().error, { code: 'DKA_BUILDER_SECRETS_UNAVAILABLE', message: /--cluster-key-file \/nonexistent\/dokkaa\/cluster\.key.*cannot read the cluster key.*install\.sh/ })
  t.equal(await missing.kv.get(missing.keys.owner('nokey')), undefined, 'nothing claimed')
  t.equal((await missing.req({ method: 'PUT', url: '/api/v1/apps/nokey/configs/c', auth: missing.root, headers: octets, payload: 'v' })).statusCode, 201, 'configs need no key')

  const file = await tempClusterKey(t)
  await chmod(file, 0o644)
  const open = await builderFixture(t, { clusterKeyFile: file })
  const res2 = await open.req({ method: 'PUT', url: '/api/v1/apps/nokey/secrets/s', auth: open.root, headers: octets, payload: 'v' })
  t.equal(res2.statusCode, 503)
  t.match(res2.json().error.message, /readable by others \(mode 644\): chmod 600/)
})

t.test('a builder process without its key file starts, and says so once', async t => {
  const b = await builderProcess(t, { args: ['--cluster-key-file', '/nonexistent/dokkaa/cluster.key'] })
  const res = await fetch(`${b.url}/api/v1/apps/nokey/secrets/s`, { method: 'PUT', headers: { ...b.root, 'content-type': 'text/plain' }, body: 'v' })
  t.equal(res.status, 503)
  const warnings = b.proc.lines.filter(l => l.includes('secrets cannot be stored until the cluster key is fixed'))
  t.equal(warnings.length, 1, 'one warning at start')
  t.match(warnings[0], /cannot read the cluster key \/nonexistent\/dokkaa\/cluster\.key/)
})

t.test('the builder process logs no secret value, even at trace level and on refusals', async t => {
  const b = await builderProcess(t, { args: ['--log-level', 'trace'] })
  const run = randomBytes(4).toString('hex')
  const value = `hunter2-${run}`
  const url = `${b.url}/api/v1/apps/log${run}/secrets`
  const put = (body: string, type = 'application/octet-stream') => fetch(`${url}/s`, { method: 'PUT', headers: { ...b.root, 'content-type': type }, body })
  t.equal((await put(value)).status, 201)
  t.equal((await put(`{"value": "${value}"}`, 'application/json')).status, 200)
  t.equal((await put(`{"value": "${value}"`, 'application/json')).status, 400)
  t.equal((await put(value.repeat(2000))).status, 413)
  t.equal((await fetch(url, { headers: b.root })).status, 200)
  await new Promise(r => setTimeout(r, 300))
  t.match(b.proc.output(), /secret written/, 'the writes were logged')
  t.notMatch(b.proc.output(), value, 'without the value')
})
