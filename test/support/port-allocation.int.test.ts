// The tests' stand-in for the scheduler's port claim, against the real etcd: concurrent
// claims never share a port, and a service keeps its port.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { Etcd3 } from 'etcd3'
import { KeyLayout } from '../../schemas/index.js'
import { allocateServicePort, listServicePorts } from './port-allocation.js'

const client = new Etcd3({ hosts: process.env.DOKKAA_TEST_ETCD ?? 'http://127.0.0.1:23790' })
const keys = new KeyLayout(`/t-${randomBytes(4).toString('hex')}`)
t.teardown(async () => { await client.delete().prefix(keys.prefix + '/'); client.close() })

t.test('concurrent allocations get distinct ports, repeat calls the same port', async t => {
  const range = { from: 30000, to: 30099 }
  const services = Array.from({ length: 12 }, (_, i) => `svc${i}`)
  const ports = await Promise.all(services.flatMap(s => [
    allocateServicePort(client, keys, 'app', s, range),
    allocateServicePort(client, keys, 'app', s, range),
  ]))
  for (let i = 0; i < services.length; i++) t.equal(ports[2 * i], ports[2 * i + 1], `${services[i]} got one port`)
  const distinct = new Set(ports)
  t.equal(distinct.size, services.length)
  for (const p of distinct) t.ok(p >= 30000 && p <= 30099)
  const listed = await listServicePorts(client, keys)
  t.equal(listed.get('app/svc0'), ports[0])
})

t.test('an exhausted range says how to fix it', async t => {
  const range = { from: 31000, to: 31000 }
  await allocateServicePort(client, keys, 'x', 'a', range)
  await t.rejects(allocateServicePort(client, keys, 'x', 'b', range), { code: 'PORT_RANGE_EXHAUSTED', message: /widen --port-range/ })
})

t.test('a junk value under /ports is neither handed out nor counted', async t => {
  await client.put(keys.port('junk', 'svc')).value('not a port')
  await client.put(`${keys.portsRoot}BAD/svc`).value('20500')
  const listed = await listServicePorts(client, keys)
  t.notOk(listed.has('junk/svc'))
  t.notOk([...listed.keys()].some(k => k.startsWith('BAD')))
  await t.rejects(allocateServicePort(client, keys, 'junk', 'svc'), /holds "not a port", not a port; delete the key/)
})
