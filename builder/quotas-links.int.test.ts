// Per-user quotas (/config/policy "quotas") and link ownership, through the REST API, scale
// and the v2 keys API of an in-process builder on the real etcd.
import t from 'tap'
import { builderFixture, nginx } from './testing.js'

const m = (scale: number, memory?: string) => ({ image: 'nginx', scale, ...(memory ? { resources: { memory } } : {}) })

t.test('quotas: a write that would pass a quota is a 403 naming it; root is exempt', async t => {
  const f = await builderFixture(t)
  const alice = await f.user('alice')
  const bob = await f.user('bob')
  await f.kv.put(f.keys.policy, JSON.stringify({ quotas: { default: { manifests: 2, instances: 4 }, users: { bob: { memory: '1g' } } } }))
  const put = (auth: { authorization: string }, path: string, body: unknown) =>
    f.req({ method: 'PUT', url: `/api/v1/apps/${path}/manifest`, auth, payload: body as object })

  t.equal((await put(alice, 'a1/web', m(2))).statusCode, 201)
  t.equal((await put(alice, 'a1/db', m(2))).statusCode, 201)
  const third = await put(alice, 'a2/web', m(1))
  t.equal(third.statusCode, 403, 'a third manifest')
  t.equal(third.json().error.code, 'DKA_BUILDER_QUOTA_EXCEEDED')
  t.match(third.json().error.message, /quota manifests is 2/)
  t.match(third.json().error.details.errors[0].message, /would have 3 manifests/)
  t.equal(await f.kv.get(f.keys.owner('a2')), undefined, 'nothing claimed for a refused write')
  t.equal(await f.kv.get(f.keys.manifest({ app: 'a2', name: 'web' })), undefined, 'nothing written')

  const more = await put(alice, 'a1/web', m(3))
  t.equal(more.statusCode, 403, 'replacing a manifest counts the new scale')
  t.match(more.json().error.message, /quota instances is 4/)
  const scale = await f.req({ method: 'POST', url: '/api/v1/apps/a1/web/scale', auth: alice, payload: { delta: 1 } })
  t.equal(scale.statusCode, 403, 'scale up past the quota')
  t.match(scale.json().error.message, /instances/)
  t.equal((await f.req({ method: 'POST', url: '/api/v1/apps/a1/web/scale', auth: alice, payload: { scale: 1 } })).statusCode, 200, 'scale down is fine')
  const v2 = await f.req({ method: 'PUT', url: '/v2/keys/apps/a3/web/manifest', auth: alice, payload: { value: JSON.stringify(m(1)) } })
  t.equal(v2.statusCode, 403, 'v2 PUT')
  t.match(v2.json().cause, /quota manifests is 2/)
  t.same(Object.keys(v2.json()).sort(), ['cause', 'errorCode', 'errors', 'index', 'message'])

  // A tighter policy later: whoever is over may still shrink.
  await f.kv.put(f.keys.policy, JSON.stringify({ quotas: { default: { instances: 1 } } }))
  t.equal((await f.req({ method: 'POST', url: '/api/v1/apps/a1/web/scale', auth: alice, payload: { scale: 0 } })).statusCode, 200, 'shrinking while over quota')
  t.equal((await f.req({ method: 'DELETE', url: '/api/v1/apps/a1/db', auth: alice })).statusCode, 204, 'deleting while over quota')

  // Memory quotas need resources.memory.
  await f.kv.put(f.keys.policy, JSON.stringify({ quotas: { users: { bob: { memory: '1g' } } } }))
  const unsized = await put(bob, 'b/web', m(1))
  t.equal(unsized.statusCode, 403)
  t.match(unsized.json().error.message, /resources\.memory is required/)
  t.equal((await put(bob, 'b/web', m(2, '512m'))).statusCode, 201)
  const over = await put(bob, 'b/db', m(1, '1m'))
  t.equal(over.statusCode, 403)
  t.match(over.json().error.message, /quota memory is 1g/)

  // Root is exempt by default; includeRoot counts root too.
  await f.kv.put(f.keys.policy, JSON.stringify({ quotas: { default: { manifests: 0 } } }))
  t.equal((await put(f.root, 'r/web', m(5))).statusCode, 201, 'root is exempt')
  t.equal((await f.req({ method: 'POST', url: '/api/v1/apps/b/web/scale', auth: f.root, payload: { scale: 9 } })).statusCode, 200, 'an admin may act past a tenant\'s quota')
  await f.kv.put(f.keys.policy, JSON.stringify({ quotas: { default: { manifests: 0 }, includeRoot: true } }))
  t.equal((await put(f.root, 'r/db', m(1))).statusCode, 403, 'includeRoot')
})

t.test('links: a user may link only to services of their own apps; root anywhere', async t => {
  const f = await builderFixture(t)
  const alice = await f.user('alice')
  const bob = await f.user('bob')
  t.equal((await f.req({ method: 'PUT', url: '/api/v1/apps/shop/db/manifest', auth: alice, payload: { ...nginx, services: { db: 5432 } } })).statusCode, 201)
  t.equal((await f.req({ method: 'PUT', url: '/api/v1/apps/shop/web/manifest', auth: alice, payload: { ...nginx, links: ['db', 'db.shop'] } })).statusCode, 201, 'own app, short and long form')
  t.equal((await f.req({ method: 'PUT', url: '/api/v1/apps/blog/web/manifest', auth: bob, payload: nginx })).statusCode, 201)
  const foreign = await f.req({ method: 'PUT', url: '/api/v1/apps/blog/spy/manifest', auth: bob, payload: { ...nginx, links: ['nginx', 'db.shop'] } })
  t.equal(foreign.statusCode, 400)
  t.equal(foreign.json().error.code, 'DKA_BUILDER_INVALID_MANIFEST')
  t.same(foreign.json().error.details.errors.map((e: { path: string }) => e.path), ['/links/1'])
  t.match(foreign.json().error.details.errors[0].message, /link "db\.shop": app "shop" is not yours/)
  const v2 = await f.req({ method: 'PUT', url: '/v2/keys/apps/blog/spy/manifest', auth: bob, payload: { value: JSON.stringify({ ...nginx, links: ['db.shop'] }) } })
  t.equal(v2.statusCode, 400)
  t.match(v2.json().cause, /db\.shop/)
  t.equal((await f.req({ method: 'PUT', url: '/api/v1/apps/blog/web/manifest', auth: bob, payload: { ...nginx, links: ['x.unowned'] } })).statusCode, 400, 'an app nobody owns is root\'s')
  t.equal((await f.req({ method: 'PUT', url: '/api/v1/apps/ops/web/manifest', auth: f.root, payload: { ...nginx, links: ['db.shop', 'nginx.blog'] } })).statusCode, 201, 'root links anywhere')
  t.equal(await f.kv.get(f.keys.manifest({ app: 'blog', name: 'spy' })), undefined, 'nothing written')
})
