// Sessions, users, tokens and credentials, in-process against a real etcd.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ensureAgentToken, ensureRoot } from './bootstrap.js'
import { builderFixture } from './testing.js'

t.test('login sets an HttpOnly SameSite=Strict session cookie; logout ends it', async t => {
  const f = await builderFixture(t)
  const bad = await f.req({ method: 'POST', url: '/api/v1/login', payload: { user: 'root', password: 'wrong' } })
  t.equal(bad.statusCode, 401)
  t.equal(bad.json().error.code, 'DKA_BUILDER_UNAUTHORIZED')
  t.equal((await f.req({ method: 'POST', url: '/api/v1/login', payload: { user: 'nobody', password: 'x' } })).statusCode, 401)
  t.equal((await f.req({ method: 'POST', url: '/api/v1/login', payload: { user: 'root' } })).json().error.code, 'DKA_BUILDER_BAD_REQUEST')

  const ok = await f.req({ method: 'POST', url: '/api/v1/login', payload: { user: 'root', password: f.rootPassword } })
  t.equal(ok.statusCode, 200)
  t.same(ok.json(), { user: 'root', admin: true })
  const setCookie = String(ok.headers['set-cookie'])
  t.match(setCookie, /dokkaa_session=dkk_/)
  t.match(setCookie, /HttpOnly/)
  t.match(setCookie, /SameSite=Strict/)
  const cookie = setCookie.split(';')[0]!
  t.same((await f.req({ method: 'GET', url: '/api/v1/me', headers: { cookie } })).json(), { user: 'root', admin: true })
  t.same((await f.req({ method: 'GET', url: '/api/v1/session', headers: { cookie } })).json(), { authenticated: true, user: 'root', admin: true })
  t.same((await f.req({ method: 'GET', url: '/api/v1/session' })).json(), { authenticated: false })
  // the session does not show up as an API token
  t.same((await f.req({ method: 'GET', url: '/api/v1/tokens', headers: { cookie } })).json().filter((x: { name: string }) => x.name === 'session'), [])

  t.equal((await f.req({ method: 'POST', url: '/api/v1/logout', headers: { cookie } })).statusCode, 204)
  t.equal((await f.req({ method: 'GET', url: '/api/v1/me', headers: { cookie } })).statusCode, 401)
})

t.test('login is rate limited', async t => {
  const f = await builderFixture(t, { passwordLimit: { max: 3, windowMs: 60_000 } })
  const codes: number[] = []
  for (let i = 0; i < 4; i++) codes.push((await f.req({ method: 'POST', url: '/api/v1/login', payload: { user: 'root', password: 'guess' } })).statusCode)
  t.same(codes, [401, 401, 401, 429])
  const res = await f.req({ method: 'POST', url: '/api/v1/login', payload: { user: 'root', password: f.rootPassword } })
  t.equal(res.statusCode, 429)
  t.equal(res.json().error.code, 'DKA_BUILDER_RATE_LIMITED')
})

t.test('credentials: bearer, basic user:password, basic user:token; anything else 401', async t => {
  const f = await builderFixture(t)
  const token = await f.tokenFor('root')
  const me = (authorization?: string) => f.req({ method: 'GET', url: '/api/v1/me', headers: authorization ? { authorization } : {} })
  t.equal((await me(`Bearer ${token}`)).statusCode, 200)
  t.equal((await me(f.basic('root', f.rootPassword))).statusCode, 200)
  t.equal((await me(f.basic('root', token))).statusCode, 200)
  t.equal((await me()).statusCode, 401)
  t.equal((await me()).headers['www-authenticate'], 'Bearer realm="dokkaa"')
  t.equal((await me('Bearer nonsense')).statusCode, 401)
  t.equal((await me(`Bearer ${token.slice(0, -1)}x`)).statusCode, 401)
  t.equal((await me(f.basic('root', 'wrong'))).statusCode, 401)
  await f.user('alice')
  t.equal((await me(f.basic('alice', token))).statusCode, 401, "root's token is not alice's")
  t.equal((await me('Digest x')).statusCode, 401)
})

t.test('tokens: created once in plaintext, stored hashed, listed, revoked', async t => {
  const f = await builderFixture(t)
  const alice = await f.user('alice')
  const created = await f.req({ method: 'POST', url: '/api/v1/tokens', auth: alice, payload: { name: 'ci' } })
  t.equal(created.statusCode, 201)
  const { id, token } = created.json()
  t.match(token, /^dkk_[0-9a-f]{12}_/)
  const stored = await f.kv.get(`${f.keys.tokens}${id}`)
  t.notOk(stored!.value.includes(token), 'etcd holds no plaintext')
  const list = (await f.req({ method: 'GET', url: '/api/v1/tokens', auth: alice })).json()
  t.ok(list.some((x: { id: string; token?: string }) => x.id === id && x.token === undefined))
  t.notOk(JSON.stringify(list).includes('hash'))
  const bearer = { authorization: `Bearer ${token}` }
  t.equal((await f.req({ method: 'GET', url: '/api/v1/me', auth: bearer })).json().user, 'alice')

  const bob = await f.user('bob')
  t.equal((await f.req({ method: 'DELETE', url: `/api/v1/tokens/${id}`, auth: bob })).statusCode, 404, "bob cannot revoke alice's token")
  t.equal((await f.req({ method: 'DELETE', url: `/api/v1/tokens/${id}`, auth: alice })).statusCode, 204)
  t.equal((await f.req({ method: 'GET', url: '/api/v1/me', auth: bearer })).statusCode, 401, 'revoked')
  t.equal((await f.req({ method: 'DELETE', url: `/api/v1/tokens/${id}`, auth: alice })).statusCode, 404)
  t.equal((await f.req({ method: 'DELETE', url: '/api/v1/tokens/BAD', auth: alice })).statusCode, 400)
  t.equal((await f.req({ method: 'POST', url: '/api/v1/tokens', auth: alice, payload: {} })).statusCode, 400)
})

t.test('users: the admin creates and deletes them; others get 403', async t => {
  const f = await builderFixture(t)
  const created = await f.req({ method: 'POST', url: '/api/v1/users', auth: f.root, payload: { name: 'carol' } })
  t.equal(created.statusCode, 201)
  const { password } = created.json()
  t.type(password, 'string', 'a generated password is shown once')
  t.equal((await f.req({ method: 'POST', url: '/api/v1/login', payload: { user: 'carol', password } })).statusCode, 200)
  t.equal((await f.req({ method: 'POST', url: '/api/v1/users', auth: f.root, payload: { name: 'dave', password: 'dave-password' } })).json().password, undefined)
  t.equal((await f.req({ method: 'POST', url: '/api/v1/users', auth: f.root, payload: { name: 'carol' } })).statusCode, 409)
  t.equal((await f.req({ method: 'POST', url: '/api/v1/users', auth: f.root, payload: { name: 'Bad Name' } })).statusCode, 400)
  const users = (await f.req({ method: 'GET', url: '/api/v1/users', auth: f.root })).json()
  t.same(users.map((u: { name: string }) => u.name).sort(), ['carol', 'dave', 'root'])
  t.notOk(JSON.stringify(users).includes('scrypt'))

  const carol = { authorization: `Bearer ${await f.tokenFor('carol')}` }
  const forbidden = await f.req({ method: 'GET', url: '/api/v1/users', auth: carol })
  t.equal(forbidden.statusCode, 403)
  t.equal(forbidden.json().error.code, 'DKA_BUILDER_FORBIDDEN')
  t.equal((await f.req({ method: 'POST', url: '/api/v1/users', auth: carol, payload: { name: 'eve' } })).statusCode, 403)
  t.equal((await f.req({ method: 'GET', url: '/api/v1/users' })).statusCode, 401)

  t.equal((await f.req({ method: 'DELETE', url: '/api/v1/users/root', auth: f.root })).statusCode, 400)
  t.equal((await f.req({ method: 'DELETE', url: '/api/v1/users/carol', auth: f.root })).statusCode, 204)
  t.equal((await f.req({ method: 'GET', url: '/api/v1/me', auth: carol })).statusCode, 401, "a deleted user's tokens stop working")
  t.equal((await f.req({ method: 'DELETE', url: '/api/v1/users/carol', auth: f.root })).statusCode, 404)
})

t.test('first start: root with a generated password in a 0600 file; the agent token once', async t => {
  const f = await builderFixture(t)
  await f.kv.delete(`${f.keys.users}root`)
  const dir = await mkdtemp(join(tmpdir(), 'dokkaa-builder-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'sub', 'generated_password.txt')
  t.same(await ensureRoot(f.accounts, file), { created: true })
  t.equal((await stat(file)).mode & 0o777, 0o600)
  const password = (await readFile(file, 'utf8')).trim()
  t.ok(await f.accounts.checkPassword('root', password))
  t.notOk((await f.kv.get(`${f.keys.users}root`))!.value.includes(password), 'stored hashed')
  t.same(await ensureRoot(f.accounts, file), { created: false })
  t.equal((await readFile(file, 'utf8')).trim(), password, 'not rewritten on the next start')
  const tok = await ensureAgentToken(f.kv, f.keys)
  t.equal(await ensureAgentToken(f.kv, f.keys), tok)
})
