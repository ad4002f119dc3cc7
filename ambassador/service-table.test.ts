import t from 'tap'
import { KeyLayout } from '../schemas/index.js'
import { hostAddresses, relativeLabels, ServiceTable } from './service-table.js'

const keys = new KeyLayout('/t-unit')
const rec = (app: string, service: string, leaf: string, v: object | string): [string, string] =>
  [keys.skydns(app, service, leaf), typeof v === 'string' ? v : JSON.stringify(v)]

function table(skydns: [string, string][], ports: [string, string][] = []): ServiceTable {
  return ServiceTable.build({ skydns: new Map(skydns), ports: new Map(ports) }, keys)
}

t.test('groups instances by service, sorted by leaf', async (t) => {
  const tb = table([
    rec('dummy', 'nginx', 'nginx-10', { host: '10.0.0.3', port: 3 }),
    rec('dummy', 'nginx', 'nginx-2', { host: '10.0.0.2', port: 2 }),
    rec('dummy', 'nginx', 'nginx-1', { host: '10.0.0.2', port: 1 }),
    rec('other', 'db', 'db-0', { host: '10.0.0.9', port: 5432 }),
  ], [[keys.port('dummy', 'nginx'), '20000']])
  const e = tb.service('dummy', 'nginx')!
  t.same(e.backends.map((b) => b.leaf), ['nginx-1', 'nginx-2', 'nginx-10'])
  t.equal(e.port, 20000)
  t.same(hostAddresses(e.backends), ['10.0.0.2', '10.0.0.3'])
  t.equal(tb.byPort.get(20000), e)
  t.equal(tb.instance('NGINX-2', 'nginx', 'Dummy')?.port, 2)
  t.same(tb.unallocated().map((u) => u.service), ['db'])
  t.same([...tb.apps].sort(), ['dummy', 'other'])
})

t.test('bad records are reported, not used', async (t) => {
  const tb = table([
    rec('a', 's', 'x-0', 'not json'),
    rec('a', 's', 'x-1', { host: '', port: 1 }),
    rec('a', 's', 'x-2', { host: 'h', port: 70000 }),
    [`${keys.skydnsRoot}too/short`, '{}'],
  ], [[keys.port('a', 's'), 'abc'], [`${keys.prefix}/ports-owner/20000`, 'a/s']])
  t.equal(tb.service('a', 's'), undefined)
  t.equal(tb.problems.length, 5)
})

t.test('a port claimed twice goes to the first', async (t) => {
  const tb = table([], [[keys.port('a', 'one'), '20001'], [keys.port('a', 'two'), '20001']])
  t.equal(tb.byPort.get(20001)?.service, 'one')
  t.match(tb.problems[0]?.problem, /already a\/one's/)
})

t.test('web routes by Host', async (t) => {
  const tb = table([
    rec('shop', 'www', 'www-0', { host: '10.0.0.1', port: 8080, role: 'web' }),
    rec('shop', 'www', 'www-1', { host: '10.0.0.2', port: 8080, role: 'web' }),
    rec('shop', 'db', 'db-0', { host: '10.0.0.3', port: 5432 }),
  ], [[keys.port('gone', 'www'), '20005']])
  t.equal(tb.webBackends('shop.dokkaa.local', 'dokkaa.local')?.length, 2)
  t.equal(tb.webBackends('SHOP.dokkaa.local:8080', 'dokkaa.local')?.length, 2)
  t.equal(tb.webBackends('www.shop.dokkaa.local', 'dokkaa.local')?.length, 2)
  t.equal(tb.webBackends('db.shop.dokkaa.local', 'dokkaa.local'), undefined, 'not a web service')
  t.equal(tb.webBackends('nope.dokkaa.local', 'dokkaa.local'), undefined)
  t.equal(tb.webBackends('example.com', 'dokkaa.local'), undefined)
  t.same(tb.webBackends('gone.dokkaa.local', 'dokkaa.local'), [], 'known app with nothing live: 503, not 404')
})

t.test('relativeLabels', async (t) => {
  t.same(relativeLabels('nginx.dummy.dokkaa.local.', 'dokkaa.local'), ['nginx', 'dummy'])
  t.same(relativeLabels('DOKKAA.local', 'dokkaa.local'), [])
  t.equal(relativeLabels('xdokkaa.local', 'dokkaa.local'), undefined)
})
