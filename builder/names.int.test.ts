// App and manifest names at every entry point of the builder: the REST API, the etcd v2
// keys API, in-process and over the wire with paths sent as written. Every bad name is a
// 400 that names the rule (schemas/names.ts), and nothing is ever stored under it.
import t from 'tap'
import { NAME_RULE } from '../schemas/index.js'
import { builderFixture, builderProcess, nginx, rawRequest } from './testing.js'

/** Names that must never become an app or a manifest, as they appear in a URL. */
const BAD: [label: string, segment: string][] = [
  ['upper case', 'Shop'],
  ['all upper case', 'SHOP'],
  ['double dash', 'a--b'],
  ['NUL', 'sh%00op'],
  ['newline', 'sh%0Aop'],
  ['unicode', 'sh%C3%B6p'],
  ['space', 'sh%20op'],
  ['underscore', 'sh_op'],
  ['dot', 'sh.op'],
  ['leading dash', '-shop'],
  ['400 characters', 'a'.repeat(400)],
  ['64 characters', 'a'.repeat(64)],
  ['encoded slash', 'sh%2Fop'],
  ['encoded dot-dot', '%2e%2e'],
]

const ruleText = NAME_RULE.slice(0, 30)

t.test('REST: a bad app or name is a 400 that names the rule, on every route', async t => {
  const f = await builderFixture(t)
  for (const [label, bad] of BAD) {
    for (const [method, url, payload] of [
      ['PUT', `/api/v1/apps/${bad}/web/manifest`, nginx],
      ['PUT', `/api/v1/apps/shop/${bad}/manifest`, nginx],
      ['GET', `/api/v1/apps/${bad}`],
      ['GET', `/api/v1/apps/${bad}/web`],
      ['GET', `/api/v1/apps/shop/${bad}/status`],
      ['DELETE', `/api/v1/apps/${bad}/web`],
      ['POST', `/api/v1/apps/${bad}/web/scale`, { scale: 2 }],
      ['POST', `/api/v1/apps/shop/${bad}/actions/stop`],
      ['GET', `/api/v1/apps/${bad}/web/instances/0/logs`],
    ] as const) {
      const res = await f.req({ method, url, auth: f.root, ...(payload ? { payload } : {}) })
      // "%2e%2e" is "..": inject (like fetch) folds it away, leaving a route that does not exist.
      if (bad === '%2e%2e') { t.ok([400, 404].includes(res.statusCode), `${label}: ${method} ${url}`); continue }
      t.equal(res.statusCode, 400, `${label}: ${method} ${url}`)
      t.equal(res.json().error.code, 'DKA_BUILDER_INVALID_NAME', `${label}: ${method} ${url}`)
      t.match(res.json().error.message, ruleText, 'the message states the rule')
      t.match(res.json().error.details.errors[0].path, /^\/(app|name)$/, 'and names the field')
    }
  }
  t.same(await f.etcd.client.getAll().prefix(f.keys.apps).keys(), [], 'nothing stored')
  t.same(await f.etcd.client.getAll().prefix(f.keys.owners).keys(), [], 'no owner claimed')
})

t.test('v2: a bad app or name is a 400 in etcd v2\'s error shape, naming the rule', async t => {
  const f = await builderFixture(t)
  for (const [label, bad] of BAD) {
    if (bad === 'sh%2Fop' || bad === '%2e%2e') continue // a separator, not a name: the path shape decides (below)
    for (const [method, url] of [
      ['PUT', `/v2/keys/apps/${bad}/web/manifest`],
      ['PUT', `/v2/keys/apps/shop/${bad}/manifest`],
      ['GET', `/v2/keys/apps/${bad}/web/manifest`],
      ['GET', `/v2/keys/apps/${bad}`],
      ['DELETE', `/v2/keys/apps/shop/${bad}/manifest`],
    ] as const) {
      const res = await f.req({ method, url, auth: f.root, ...(method === 'PUT' ? { payload: { value: JSON.stringify(nginx) } } : {}) })
      t.equal(res.statusCode, 400, `${label}: ${method} ${url}`)
      const body = res.json()
      t.same(Object.keys(body).sort(), ['cause', 'errorCode', 'errors', 'index', 'message'], 'etcd v2 shape')
      t.equal(body.errorCode, 209)
      t.match(body.cause, ruleText)
    }
  }
  const dotdot = await f.req({ method: 'PUT', url: '/v2/keys/apps/%2e%2e/web/manifest', auth: f.root, payload: { value: JSON.stringify(nginx) } })
  t.ok([400, 403].includes(dotdot.statusCode), 'encoded .. is refused')
  t.same(await f.etcd.client.getAll().prefix(`${f.etcd.prefix}/`).keys().then(k => k.filter(x => !x.includes('/users/') && !x.includes('/tokens/'))), [], 'nothing stored')
})

t.test('over the wire, paths as written (curl --path-as-is): .. and friends are never stored', async t => {
  const b = await builderProcess(t)
  const body = JSON.stringify(nginx)
  const json = { ...b.root, 'content-type': 'application/json' }
  const form = { ...b.root, 'content-type': 'application/x-www-form-urlencoded' }
  const cases: [method: string, path: string, headers: Record<string, string>, payload: string, statuses: number[]][] = [
    ['PUT', '/api/v1/apps/../web/manifest', json, body, [400]],
    ['PUT', '/api/v1/apps/./web/manifest', json, body, [400]],
    ['PUT', '/api/v1/apps/%2e%2e/web/manifest', json, body, [400]],
    ['PUT', '/api/v1/apps/shop/../manifest', json, body, [400, 404]],
    ['PUT', '/api/v1/apps/Shop/web/manifest', json, body, [400]],
    ['PUT', '/api/v1/apps/sh%00op/web/manifest', json, body, [400]],
    ['PUT', `/api/v1/apps/${'a'.repeat(400)}/web/manifest`, json, body, [400]],
    ['PUT', '/api/v1/apps//web/manifest', json, body, [400, 404]],
    ['PUT', '/v2/keys/apps/../web/manifest', form, `value=${encodeURIComponent(body)}`, [400]],
    ['PUT', '/v2/keys/apps/%2e%2e/web/manifest', form, `value=${encodeURIComponent(body)}`, [400]],
    ['PUT', '/v2/keys/apps/shop/../manifest', form, `value=${encodeURIComponent(body)}`, [400, 403]],
    ['PUT', '/v2/keys/apps/Shop/web/manifest', form, `value=${encodeURIComponent(body)}`, [400]],
    ['PUT', '/v2/keys/apps/shop/w%0Aeb/manifest', form, `value=${encodeURIComponent(body)}`, [400]],
    ['PUT', `/v2/keys/apps/shop/${'a'.repeat(400)}/manifest`, form, `value=${encodeURIComponent(body)}`, [400]],
  ]
  for (const [method, path, headers, payload, statuses] of cases) {
    const res = await rawRequest(b.url, { method, path, headers, body: payload })
    t.ok(statuses.includes(res.status), `${method} ${path.slice(0, 60)}: ${res.status} in ${statuses}`, { body: res.body.slice(0, 300) })
    if (res.status === 400) t.match(res.body, ruleText, 'names the rule')
  }
  t.same(await b.etcd.client.getAll().prefix(b.keys.apps).keys(), [], 'nothing stored under /apps')
  t.same(await b.etcd.client.getAll().prefix(b.keys.owners).keys(), [], 'no owner claimed')
})
