import t from 'tap'
import { forwardedRequestHeaders } from './forwarded-headers.js'

t.test('adds X-Forwarded-*, drops hop-by-hop headers', async (t) => {
  const h = forwardedRequestHeaders({ host: 'shop.dokkaa.local', connection: 'keep-alive, x-secret', 'x-secret': '1', 'keep-alive': 'timeout=5', accept: '*/*' }, '::ffff:192.0.2.9')
  t.same(h, { host: 'shop.dokkaa.local', accept: '*/*', 'x-forwarded-for': '192.0.2.9', 'x-forwarded-host': 'shop.dokkaa.local', 'x-forwarded-proto': 'http' })
})

t.test('appends to an existing X-Forwarded-For; keeps the upgrade for websockets', async (t) => {
  const h = forwardedRequestHeaders({ host: 'h', 'x-forwarded-for': '1.1.1.1', connection: 'Upgrade', upgrade: 'websocket' }, '127.0.0.1', true)
  t.equal(h['x-forwarded-for'], '1.1.1.1, 127.0.0.1')
  t.equal(h.connection, 'Upgrade')
  t.equal(h.upgrade, 'websocket')
})
