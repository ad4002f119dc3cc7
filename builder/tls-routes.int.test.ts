// The web router's certificate routes (issue 12): admins only; a status written by hand as
// junk is reported, never a 500; a renewal is asked only for a name a certificate is ordered
// for, a bad name is a 400 naming it.
import t from 'tap'
import { builderFixture } from './testing.js'

t.test('GET /api/v1/tls and POST …/renew: admins only, junk in etcd reported, unknown names 404', async t => {
  const f = await builderFixture(t)
  const user = await f.user('tls-user')
  t.equal((await f.req({ method: 'GET', url: '/api/v1/tls', auth: user })).statusCode, 403, 'a non-admin may not read the certificates\' status')
  t.equal((await f.req({ method: 'POST', url: '/api/v1/tls/shop.dokkaa.local/renew', auth: user })).statusCode, 403, 'nor ask for a renewal')

  const none = await f.req({ method: 'GET', url: '/api/v1/tls', auth: f.root })
  t.match(none.json(), { config: { ok: false, problem: /no status yet/ }, names: {} }, 'no status yet: said so')

  await f.kv.put(f.keys.tlsStatus, '{not json')
  const junk = await f.req({ method: 'GET', url: '/api/v1/tls', auth: f.root })
  t.equal(junk.statusCode, 200, 'a hand-written junk status is no 500')
  t.match(junk.json(), { config: { ok: false, problem: /is not the builder's JSON/ } })

  await f.kv.put(f.keys.tlsStatus, JSON.stringify({ config: { ok: true }, names: { 'shop.dokkaa.local': { state: 'failed' } }, note: 'www.other.dokkaa.local' }))
  t.equal((await f.req({ method: 'POST', url: '/api/v1/tls/shop.dokkaa.local/renew', auth: f.root })).statusCode, 202, 'a name the status lists may be renewed')
  t.ok(await f.kv.get(f.keys.tlsRenew('shop.dokkaa.local')), 'the request is in etcd for the builder\'s ACME loop')
  t.equal((await f.req({ method: 'POST', url: '/api/v1/tls/www.other.dokkaa.local/renew', auth: f.root })).statusCode, 404, 'a name that only appears somewhere in the status text is not one')
  const bad = await f.req({ method: 'POST', url: '/api/v1/tls/not_a..name/renew', auth: f.root })
  t.equal(bad.statusCode, 400)
  t.match(bad.json().error.message, /is not a host name like shop\.dokkaa\.local/)
})
