// The etcd v2 keys API shape, as the seed's curl command uses it.
import t from 'tap'
import { builderFixture, nginx } from './testing.js'

const form = (value: string) => ({ 'content-type': 'application/x-www-form-urlencoded', body: `value=${encodeURIComponent(value)}` })

t.test('PUT with a form value, GET, DELETE: etcd v2 replies', async t => {
  const f = await builderFixture(t)
  const { body, ...ct } = form(JSON.stringify(nginx))
  const put = await f.req({ method: 'PUT', url: '/v2/keys/apps/dummy/nginx/manifest', auth: f.root, headers: ct, payload: body })
  t.equal(put.statusCode, 201)
  const created = put.json()
  t.equal(created.action, 'set')
  t.same(Object.keys(created.node).sort(), ['createdIndex', 'key', 'modifiedIndex', 'value'])
  t.equal(created.node.key, '/apps/dummy/nginx/manifest')
  t.equal(created.node.value, JSON.stringify(nginx))
  t.equal(put.headers['x-etcd-index'], String(created.node.modifiedIndex))

  const again = await f.req({ method: 'PUT', url: '/v2/keys/apps/dummy/nginx/manifest', auth: { authorization: f.basic('root', f.rootPassword) }, payload: { value: JSON.stringify({ ...nginx, scale: 2 }) } })
  t.equal(again.statusCode, 200, 'JSON body and basic auth work too')
  t.equal(again.json().prevNode.value, JSON.stringify(nginx))
  t.equal(again.json().node.createdIndex, created.node.createdIndex)
  t.ok(again.json().node.modifiedIndex > created.node.modifiedIndex)

  const get = (await f.req({ method: 'GET', url: '/v2/keys/apps/dummy/nginx/manifest', auth: f.root })).json()
  t.same(get, { action: 'get', node: { key: '/apps/dummy/nginx/manifest', value: JSON.stringify({ ...nginx, scale: 2 }), modifiedIndex: again.json().node.modifiedIndex, createdIndex: created.node.createdIndex } })
  const dir = (await f.req({ method: 'GET', url: '/v2/keys/apps?recursive=true', auth: f.root })).json()
  t.equal(dir.node.dir, true)
  t.equal(dir.node.nodes[0].nodes[0].nodes[0].key, '/apps/dummy/nginx/manifest')
  const appDir = (await f.req({ method: 'GET', url: '/v2/keys/apps/dummy', auth: f.root })).json()
  t.same(appDir.node.nodes.map((n: { key: string; dir: boolean }) => [n.key, n.dir]), [['/apps/dummy/nginx', true]])
  t.equal((await f.req({ method: 'GET', url: '/v2/keys/apps/dummy/nginx', auth: f.root })).json().node.nodes[0].key, '/apps/dummy/nginx/manifest')

  const del = await f.req({ method: 'DELETE', url: '/v2/keys/apps/dummy/nginx/manifest', auth: f.root })
  t.equal(del.statusCode, 200)
  t.equal(del.json().action, 'delete')
  t.equal(del.json().prevNode.value, JSON.stringify({ ...nginx, scale: 2 }))
  t.equal(del.json().node.key, '/apps/dummy/nginx/manifest')
  t.equal(del.json().node.value, undefined)
})

t.test('v2 errors look like etcd v2', async t => {
  const f = await builderFixture(t)
  const missing = await f.req({ method: 'GET', url: '/v2/keys/apps/dummy/nginx/manifest', auth: f.root })
  t.equal(missing.statusCode, 404)
  t.same(Object.keys(missing.json()).sort(), ['cause', 'errorCode', 'index', 'message'])
  t.equal(missing.json().errorCode, 100)
  t.equal(missing.json().message, 'Key not found')
  t.equal((await f.req({ method: 'DELETE', url: '/v2/keys/apps/dummy/nginx/manifest', auth: f.root })).json().errorCode, 100)
  t.equal((await f.req({ method: 'GET', url: '/v2/keys/apps/none', auth: f.root })).json().errorCode, 100)
  t.equal((await f.req({ method: 'GET', url: '/v2/keys/other', auth: f.root })).json().errorCode, 100)

  const noauth = await f.req({ method: 'PUT', url: '/v2/keys/apps/dummy/nginx/manifest', payload: { value: JSON.stringify(nginx) } })
  t.equal(noauth.statusCode, 401)
  t.equal(noauth.json().errorCode, 110)

  const { body, ...ct } = form('{"image": "a b", "scale": "x"}')
  const bad = await f.req({ method: 'PUT', url: '/v2/keys/apps/dummy/nginx/manifest', auth: f.root, headers: ct, payload: body })
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().errorCode, 209)
  t.match(bad.json().cause, /\/image .*\/scale/)
  t.same(bad.json().errors.map((e: { path: string }) => e.path), ['/image', '/scale'])
  t.equal((await f.req({ method: 'GET', url: '/v2/keys/apps/dummy/nginx/manifest', auth: f.root })).statusCode, 404, 'nothing written')

  const novalue = await f.req({ method: 'PUT', url: '/v2/keys/apps/dummy/nginx/manifest', auth: f.root, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'ttl=5' })
  t.equal(novalue.statusCode, 400)
  t.equal(novalue.json().errorCode, 210)
  t.equal(novalue.json().cause, 'Value is Required in POST form')

  const other = await f.req({ method: 'PUT', url: '/v2/keys/hosts/h1', auth: f.root, payload: { value: '{}' } })
  t.equal(other.statusCode, 403)
  t.equal(other.json().errorCode, 107)
  t.equal((await f.req({ method: 'DELETE', url: '/v2/keys/apps/dummy', auth: f.root })).statusCode, 403)
})

t.test('v2 keeps apps private to their owner', async t => {
  const f = await builderFixture(t)
  const alice = await f.user('alice')
  const bob = await f.user('bob')
  t.equal((await f.req({ method: 'PUT', url: '/v2/keys/apps/shop/web/manifest', auth: alice, payload: { value: JSON.stringify(nginx) } })).statusCode, 201)
  for (const [method, url] of [['GET', '/v2/keys/apps/shop/web/manifest'], ['GET', '/v2/keys/apps/shop'], ['GET', '/v2/keys/apps/shop/web'], ['DELETE', '/v2/keys/apps/shop/web/manifest']] as const) {
    t.equal((await f.req({ method, url, auth: bob })).json().errorCode, 100, `${method} ${url} as bob`)
  }
  t.equal((await f.req({ method: 'PUT', url: '/v2/keys/apps/shop/web/manifest', auth: bob, payload: { value: JSON.stringify(nginx) } })).statusCode, 404)
  t.same((await f.req({ method: 'GET', url: '/v2/keys/apps', auth: bob })).json().node.nodes, [])
  t.equal((await f.req({ method: 'GET', url: '/v2/keys/apps', auth: alice })).json().node.nodes.length, 1)
})

t.test('PUT ?value=<json> with no body stores the value (etcd v2 usage)', async t => {
  const f = await builderFixture(t)
  const value = JSON.stringify(nginx)
  const res = await f.req({ method: 'PUT', url: `/v2/keys/apps/q/web/manifest?value=${encodeURIComponent(value)}`, auth: f.root })
  t.equal(res.statusCode, 201, 'no body, no content type')
  t.equal(res.json().node.value, value)
  t.equal((await f.kv.get(f.keys.manifest({ app: 'q', name: 'web' })))?.value, value, 'stored as given')
  const empty = await f.req({ method: 'PUT', url: `/v2/keys/apps/q/web/manifest?value=${encodeURIComponent(JSON.stringify({ ...nginx, scale: 2 }))}`, auth: f.root, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '' })
  t.equal(empty.statusCode, 200, 'an empty form body: the query value')
  t.equal(empty.json().prevNode.value, value)
  const none = await f.req({ method: 'PUT', url: '/v2/keys/apps/q/web/manifest', auth: f.root })
  t.equal(none.statusCode, 400, 'no value anywhere')
  t.equal(none.json().errorCode, 210)
})
