// Private registries' credentials through the API (issue 11): admins only; the password is
// sealed in etcd for its host (it opens with registryAad(host) and no other), and appears in
// no reply, no etcd value and no log line, refusals included; a host or body breaking the
// rule is a 400 naming it; without a cluster key, 503; junk written by hand into etcd is
// skipped; the etcd v2 keys API reaches none of it.
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { readClusterKey } from '../kit/secret-box.js'
import { MAX_REGISTRY_PASSWORD_BYTES, readRegistryRecord, registryAad } from '../schemas/index.js'
import { builderFixture, builderProcess } from './testing.js'

const login = (username: string, password: string) => ({ username, password })

t.test('an admin stores, replaces, lists and deletes credentials; the password is in no reply and sealed in etcd', async t => {
  const f = await builderFixture(t)
  const run = randomBytes(4).toString('hex')
  const password = `hunter2-${run}`
  const admin2 = await f.user(`ops${run}`, true)
  const bodies: string[] = []
  const req = async (opts: Parameters<typeof f.req>[0]) => {
    const res = await f.req(opts)
    bodies.push(res.body)
    return res
  }
  const put = (host: string, body: unknown, auth = f.root) => req({ method: 'PUT', url: `/api/v1/registries/${encodeURIComponent(host)}`, auth, payload: body as object })

  const created = await put('localhost:5000', login('ci', password))
  t.equal(created.statusCode, 201, created.body)
  t.same(Object.keys(created.json()).sort(), ['createdAt', 'host', 'updatedAt', 'username'], 'host, username and dates: nothing else')
  t.match(created.json(), { host: 'localhost:5000', username: 'ci' })

  // In etcd: sealed, bound to its host.
  const stored = (await f.kv.get(f.keys.registry('localhost:5000')))!.value
  t.notMatch(stored, password, 'no plaintext in etcd')
  t.notMatch(stored, Buffer.from(password).toString('base64'), 'nor its base64')
  const rec = readRegistryRecord(stored)!
  t.same(Object.keys(JSON.parse(stored)).sort(), ['createdAt', 'sealed', 'updatedAt', 'username'], 'the contract\'s record')
  const key = readClusterKey(f.clusterKeyFile)
  t.equal(key.open(rec.sealed, registryAad('localhost:5000')).toString(), password, 'opens under the cluster key with its host\'s aad')
  t.throws(() => key.open(rec.sealed, registryAad('evil.example.com')), /does not open/, 'not as another host\'s')

  // Replaced (by another admin): 200, same createdAt, new username and password.
  await new Promise(r => setTimeout(r, 5))
  const replaced = await put('localhost:5000', login('ci2', `${password}-2`), admin2)
  t.equal(replaced.statusCode, 200, replaced.body)
  t.match(replaced.json(), { host: 'localhost:5000', username: 'ci2', createdAt: created.json().createdAt })
  t.not(replaced.json().updatedAt, created.json().updatedAt, 'updated now')
  const rec2 = readRegistryRecord((await f.kv.get(f.keys.registry('localhost:5000')))!.value)!
  t.equal(key.open(rec2.sealed, registryAad('localhost:5000')).toString(), `${password}-2`)
  t.equal((await put('docker.io', login('hub', `${password}-hub`))).statusCode, 201, 'Docker Hub')
  t.equal((await put('a.registry.example.com', login('a', `${password}-a`))).statusCode, 201)

  // Junk under /registries/ (by hand with etcdctl) is skipped, never a 500.
  await f.kv.put(f.keys.registry('junk.example.com'), '{"username": "x"}')
  await f.kv.put(f.keys.registry('broken.example.com'), 'not json')
  await f.kv.put(`${f.keys.registriesRoot}Not_A_Host`, stored)
  await f.kv.put(`${f.keys.registriesRoot}deep/er`, stored)
  const list = await req({ method: 'GET', url: '/api/v1/registries', auth: f.root })
  t.equal(list.statusCode, 200, list.body)
  t.same(list.json().map((r: { host: string; username: string }) => [r.host, r.username]), [['a.registry.example.com', 'a'], ['docker.io', 'hub'], ['localhost:5000', 'ci2']], 'by host, junk left out')
  for (const r of list.json()) t.same(Object.keys(r).sort(), ['createdAt', 'host', 'updatedAt', 'username'])

  t.equal((await req({ method: 'DELETE', url: '/api/v1/registries/docker.io', auth: f.root })).statusCode, 204)
  t.equal(await f.kv.get(f.keys.registry('docker.io')), undefined, 'gone from etcd')
  const again = await req({ method: 'DELETE', url: '/api/v1/registries/docker.io', auth: f.root })
  t.equal(again.statusCode, 404)
  t.match(again.json().error, { code: 'DKA_BUILDER_NOT_FOUND', message: 'no credentials stored for registry docker.io' })

  // Refusals name the field and the rule, and quote no body.
  const badJson = await req({ method: 'PUT', url: '/api/v1/registries/localhost:5000', auth: f.root, headers: { 'content-type': 'application/json' }, payload: `{"username": "ci", "password": "${password}"` })
  t.equal(badJson.statusCode, 400)
  t.match(badJson.json().error.message, /the body is JSON \{"username": "<user>", "password": "<password or token>"\}/)
  const empty = await put('localhost:5000', login('ci', ''))
  t.equal(empty.statusCode, 400)
  t.match(empty.json().error.message, /^password: at least 1 byte, at most 4096 \(MAX_REGISTRY_PASSWORD_BYTES\)/)
  const big = await put('localhost:5000', login('ci', 'h'.repeat(MAX_REGISTRY_PASSWORD_BYTES + 1)))
  t.equal(big.statusCode, 413)
  t.match(big.json().error, { code: 'DKA_BUILDER_BAD_REQUEST', message: /at most 4096 bytes \(MAX_REGISTRY_PASSWORD_BYTES\), got 4097/ })
  const huge = await req({ method: 'PUT', url: '/api/v1/registries/localhost:5000', auth: f.root, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(login('ci', 'h'.repeat(40 * MAX_REGISTRY_PASSWORD_BYTES))) })
  t.equal(huge.statusCode, 413, 'refused before it is read')
  t.match(huge.json().error.message, /MAX_REGISTRY_PASSWORD_BYTES/)
  const badUser = await put('localhost:5000', login('c:i', password))
  t.equal(badUser.statusCode, 400)
  t.match(badUser.json().error.message, /^username: a registry username cannot hold ":"/)
  const text = await req({ method: 'PUT', url: '/api/v1/registries/localhost:5000', auth: f.root, headers: { 'content-type': 'text/plain' }, payload: password })
  t.equal(text.statusCode, 415)
  for (const host of ['UPPER', 'a/b', '', 'x:99999', '-x', 'a..b']) {
    const res = await put(host, login('ci', password))
    t.equal(res.statusCode, 400, `host ${JSON.stringify(host)}: 400`)
    t.match(res.json().error, { code: 'DKA_BUILDER_BAD_REQUEST', message: /is not a registry address: use the host\[:port\] an image reference names, in lowercase/ })
  }
  for (const url of ['/api/v1/registries/a/b', '/api/v1/registries/UPPER']) {
    const res = await req({ method: 'DELETE', url, auth: f.root })
    t.equal(res.statusCode, 400, `DELETE ${url}: the host's rule, unencoded too`)
    t.match(res.json().error.message, /is not a registry address/)
  }
  t.equal(await f.kv.get(f.keys.registry('x:99999')), undefined, 'nothing written for a bad host')

  for (const body of bodies) {
    t.notMatch(body, password, 'no reply holds a password')
    t.notMatch(body, Buffer.from(password).toString('base64'))
  }
  const raw = await f.etcd.client.getAll().prefix(f.keys.registriesRoot).strings()
  for (const [k, v] of Object.entries(raw)) t.notMatch(v, password, `etcd ${k} holds no password`)
})

t.test('only admins: anyone else gets 403 on every route, before the body is read, and nothing changes', async t => {
  const f = await builderFixture(t)
  const run = randomBytes(4).toString('hex')
  const alice = await f.user(`alice${run}`)
  t.equal((await f.req({ method: 'PUT', url: '/api/v1/registries/localhost:5000', auth: f.root, payload: login('ci', 'pw') })).statusCode, 201)
  const before = (await f.kv.get(f.keys.registry('localhost:5000')))!.value
  const cases = [
    { method: 'GET', url: '/api/v1/registries' },
    { method: 'PUT', url: '/api/v1/registries/localhost:5000', payload: login('alice', 'mine') },
    { method: 'PUT', url: '/api/v1/registries/evil.example.com', payload: login('alice', 'mine') },
    { method: 'PUT', url: '/api/v1/registries/BAD', payload: 'h'.repeat(100_000) },
    { method: 'DELETE', url: '/api/v1/registries/localhost:5000' },
  ] as const
  for (const c of cases) {
    const res = await f.req({ ...c, auth: alice })
    t.equal(res.statusCode, 403, `${c.method} ${c.url}`)
    t.match(res.json().error, { code: 'DKA_BUILDER_FORBIDDEN', message: 'only an admin manages registry credentials' })
  }
  t.equal((await f.req({ method: 'GET', url: '/api/v1/registries' })).statusCode, 401, 'no credentials: 401')
  t.equal((await f.kv.get(f.keys.registry('localhost:5000')))!.value, before, 'unchanged')
  t.equal(await f.kv.get(f.keys.registry('evil.example.com')), undefined, 'nothing added')

  // The etcd v2 keys API serves /apps only: /registries is neither read nor written, by anyone.
  for (const auth of [alice, f.root]) {
    const who = auth === f.root ? 'root' : 'alice'
    for (const path of ['/v2/keys/registries/localhost:5000', '/v2/keys/registries', `/v2/keys/${f.keys.registry('localhost:5000').replace(/^\//, '')}`]) {
      const get = await f.req({ method: 'GET', url: `${path}?recursive=true`, auth })
      t.equal(get.statusCode, 404, `${who}: GET ${path}`)
      t.notMatch(get.body, /sealed|"username"/, 'nothing of the record')
      const put = await f.req({ method: 'PUT', url: path, auth, payload: { value: JSON.stringify({ username: 'x', sealed: {} }) } })
      t.equal(put.statusCode, 403, `${who}: PUT ${path}`)
      t.equal((await f.req({ method: 'DELETE', url: path, auth })).statusCode, 403, `${who}: DELETE ${path}`)
    }
  }
  t.equal((await f.kv.get(f.keys.registry('localhost:5000')))!.value, before, 'still unchanged')
})

t.test('a builder without a usable cluster key answers 503 and stores nothing', async t => {
  const f = await builderFixture(t, { clusterKeyFile: '/nonexistent/dokkaa/cluster.key' })
  const res = await f.req({ method: 'PUT', url: '/api/v1/registries/localhost:5000', auth: f.root, payload: login('ci', 'pw') })
  t.equal(res.statusCode, 503)
  t.match(res.json().error, { code: 'DKA_BUILDER_SECRETS_UNAVAILABLE', message: /^registry credentials cannot be stored: this builder has no usable cluster key \(--cluster-key-file \/nonexistent\/dokkaa\/cluster\.key\)/ })
  t.equal(await f.kv.get(f.keys.registry('localhost:5000')), undefined, 'nothing stored')
  t.equal((await f.req({ method: 'GET', url: '/api/v1/registries', auth: f.root })).statusCode, 200, 'listing needs no key')
})

t.test('the routes are in the OpenAPI document', async t => {
  const f = await builderFixture(t)
  const doc = (await f.req({ method: 'GET', url: '/api/v1/openapi.json' })).json()
  t.ok(doc.paths['/api/v1/registries']?.get, 'GET /api/v1/registries')
  for (const m of ['put', 'delete']) t.ok(doc.paths['/api/v1/registries/{host}']?.[m], `${m} /api/v1/registries/{host}`)
  t.match(JSON.stringify(doc.paths['/api/v1/registries/{host}'].put.responses['403']), /only an admin/)
  t.ok(doc.paths['/api/v1/registries/{host}'].put.responses['503'], '503 documented')
  t.notOk(doc.paths['/api/v1/registries/{*}'], 'the catch-all is hidden')
})

t.test('the builder process logs no registry password, even at trace level and on refusals', async t => {
  const b = await builderProcess(t, { args: ['--log-level', 'trace'] })
  const run = randomBytes(4).toString('hex')
  const password = `hunter2-${run}`
  const put = (body: string, host = 'localhost:5000') => fetch(`${b.url}/api/v1/registries/${host}`, { method: 'PUT', headers: { ...b.root, 'content-type': 'application/json' }, body })
  t.equal((await put(JSON.stringify(login('ci', password)))).status, 201)
  t.equal((await put(JSON.stringify(login('ci', password)))).status, 200)
  t.equal((await put(`{"username": "ci", "password": "${password}"`)).status, 400)
  t.equal((await put(JSON.stringify(login('c:i', password)))).status, 400)
  t.equal((await put(JSON.stringify(login('ci', password)), 'UPPER')).status, 400)
  t.equal((await put(JSON.stringify(login('ci', password.repeat(1000))))).status, 413)
  t.equal((await fetch(`${b.url}/api/v1/registries`, { headers: b.root })).status, 200)
  await new Promise(r => setTimeout(r, 300))
  t.match(b.proc.output(), /registry credentials written/, 'the writes were logged')
  t.notMatch(b.proc.output(), password, 'without the password')
  t.notMatch(b.proc.output(), Buffer.from(password).toString('base64'), 'nor its base64')
})
