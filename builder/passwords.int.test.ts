// Every password check — POST /login, HTTP basic user:password on any route, /session —
// goes through one limiter keyed per user and per client address, over real HTTP: wrong
// passwords are 401s until the limit, then 429 with Retry-After; tokens are unaffected.
import t from 'tap'
import { basicAuth, builderFixture, rawRequest } from './testing.js'

const LIMIT = { max: 3, windowMs: 60_000 }

t.test('login, basic auth and /session share one limit per user', async t => {
  const f = await builderFixture(t, { passwordLimit: LIMIT })
  const base = await f.app.listen({ host: '127.0.0.1', port: 0 })
  const token = await f.tokenFor('root')
  const login = (password: string, localAddress?: string) => rawRequest(base, {
    method: 'POST', path: '/api/v1/login', localAddress, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'root', password }),
  })
  const basic = (path: string, password: string, localAddress?: string) => rawRequest(base, { method: 'GET', path, localAddress, headers: { authorization: basicAuth('root', password) } })

  t.equal((await login('guess-1')).status, 401, 'a wrong password at /login: 401')
  const wrongBasic = await basic('/api/v1/apps', 'guess-2')
  t.equal(wrongBasic.status, 401, 'a wrong basic password on any route: 401')
  const wrongSession = await basic('/api/v1/session', 'guess-3')
  t.equal(wrongSession.status, 401, 'a wrong password at /session: 401 (it used to say "not authenticated" for ever)')
  t.equal(JSON.parse(wrongSession.body).error.code, 'DKA_BUILDER_UNAUTHORIZED')

  for (const [what, res] of [
    ['login', await login('guess-4')],
    ['basic on /api/v1/apps', await basic('/api/v1/apps', 'guess-5')],
    ['basic on v2', await basic('/v2/keys/apps', 'guess-6')],
    ['basic on /session', await basic('/api/v1/session', 'guess-7')],
    ['the right password, too', await login(f.rootPassword)],
    ['from another address: the user is limited', await login('guess-8', '127.0.0.2')],
  ] as const) {
    t.equal(res.status, 429, `${what}: 429`)
    const retry = Number(res.headers['retry-after'])
    t.ok(retry >= 1 && retry <= 60, `${what}: Retry-After ${res.headers['retry-after']}`)
  }
  const v2 = await basic('/v2/keys/apps', 'guess-9')
  t.equal(JSON.parse(v2.body).errorCode, 300, 'v2 speaks v2 even when limited')
  t.match(JSON.parse((await login('x')).body).error.message, /too many wrong passwords for user "root"; retry in \d+ s/)

  const bearer = await rawRequest(base, { method: 'GET', path: '/api/v1/apps', headers: { authorization: `Bearer ${token}` } })
  t.equal(bearer.status, 200, 'a bearer token still works')
  t.equal((await rawRequest(base, { method: 'GET', path: '/api/v1/me', headers: { authorization: basicAuth('root', token) } })).status, 200, 'basic user:token still works')
  const session = await rawRequest(base, { method: 'GET', path: '/api/v1/session' })
  t.same(JSON.parse(session.body), { authenticated: false }, '/session without credentials is still a 200')
  t.same(JSON.parse((await rawRequest(base, { method: 'GET', path: '/api/v1/session', headers: { authorization: 'Bearer dkk_000000000000_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' } })).body), { authenticated: false }, 'a bad token at /session: not authenticated, no 401')
})

t.test('the limit is also per client address, across user names', async t => {
  const f = await builderFixture(t, { passwordLimit: LIMIT })
  await f.user('alice')
  const base = await f.app.listen({ host: '127.0.0.1', port: 0 })
  const guess = (user: string, localAddress: string) => rawRequest(base, { method: 'GET', path: '/api/v1/me', localAddress, headers: { authorization: basicAuth(user, 'wrong') } })
  t.same([(await guess('u1', '127.0.0.3')).status, (await guess('u2', '127.0.0.3')).status, (await guess('u3', '127.0.0.3')).status], [401, 401, 401])
  const limited = await guess('alice', '127.0.0.3')
  t.equal(limited.status, 429, 'a fourth name from the same address')
  t.match(JSON.parse(limited.body).error.message, /too many wrong passwords from 127\.0\.0\.3/)
  const elsewhere = await rawRequest(base, { method: 'GET', path: '/api/v1/me', localAddress: '127.0.0.4', headers: { authorization: basicAuth('alice', 'alice-password') } })
  t.equal(elsewhere.status, 200, 'alice from another address is not affected')
})

t.test('guesses in parallel cannot overrun the limit, and the window ends', async t => {
  const f = await builderFixture(t, { passwordLimit: { max: 3, windowMs: 1500 } })
  const base = await f.app.listen({ host: '127.0.0.1', port: 0 })
  const codes = await Promise.all(Array.from({ length: 20 }, (_, i) => rawRequest(base, { method: 'GET', path: '/api/v1/me', headers: { authorization: basicAuth('root', `p${i}`) } }).then(r => r.status)))
  t.equal(codes.filter(c => c === 401).length, 3, '3 checked')
  t.equal(codes.filter(c => c === 429).length, 17, 'the rest refused without a check')
  await new Promise(r => setTimeout(r, 1600))
  const after = await rawRequest(base, { method: 'GET', path: '/api/v1/me', headers: { authorization: basicAuth('root', f.rootPassword) } })
  t.equal(after.status, 200, 'after the window the right password works')
})
