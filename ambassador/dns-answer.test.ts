import t from 'tap'
import { KeyLayout } from '../schemas/index.js'
import { answerQuestion, RCODE, TYPE, type DnsContext } from './dns-answer.js'
import { ServiceTable } from './service-table.js'

const keys = new KeyLayout('')
const tb = ServiceTable.build({
  skydns: new Map([
    [keys.skydns('dummy', 'nginx', 'nginx-0'), JSON.stringify({ host: '10.0.0.1', port: 32768 })],
    [keys.skydns('dummy', 'nginx', 'nginx-1'), JSON.stringify({ host: '10.0.0.1', port: 32769 })],
    [keys.skydns('dummy', 'nginx', 'nginx-2'), JSON.stringify({ host: '10.0.0.2', port: 32768 })],
  ]),
  ports: new Map(),
}, keys)
const ctx: DnsContext = { domain: 'dokkaa.local', ttl: 5, serial: 42, nsAddress: '127.0.0.1' }
const ask = (name: string, type: number) => {
  const d = answerQuestion(tb, { name, type }, ctx)
  if (d.kind !== 'answer') throw new Error('forwarded')
  return d
}

t.test('A: unique host addresses', async (t) => {
  const d = ask('nginx.dummy.dokkaa.local', TYPE.A)
  t.equal(d.rcode, RCODE.NOERROR)
  t.same(d.answers.map((a) => a.address), ['10.0.0.1', '10.0.0.2'])
  t.ok(d.answers.every((a) => a.ttl === 5))
})

t.test('SRV: one per instance, with glue', async (t) => {
  const d = ask('Nginx.Dummy.dokkaa.local.', TYPE.SRV)
  t.same(d.answers.map((a) => [a.port, a.target, a.priority, a.weight]), [
    [32768, 'nginx-0.nginx.dummy.dokkaa.local', 10, 10],
    [32769, 'nginx-1.nginx.dummy.dokkaa.local', 10, 10],
    [32768, 'nginx-2.nginx.dummy.dokkaa.local', 10, 10],
  ])
  t.same(d.additionals.map((a) => [a.name, a.address]), [
    ['nginx-0.nginx.dummy.dokkaa.local', '10.0.0.1'],
    ['nginx-1.nginx.dummy.dokkaa.local', '10.0.0.1'],
    ['nginx-2.nginx.dummy.dokkaa.local', '10.0.0.2'],
  ])
})

t.test('one instance by its leaf', async (t) => {
  t.same(ask('nginx-2.nginx.dummy.dokkaa.local', TYPE.A).answers.map((a) => a.address), ['10.0.0.2'])
  t.same(ask('nginx-1.nginx.dummy.dokkaa.local', TYPE.SRV).answers.map((a) => a.port), [32769])
  t.equal(ask('nginx-9.nginx.dummy.dokkaa.local', TYPE.A).rcode, RCODE.NXDOMAIN)
})

t.test('unknown names: NXDOMAIN with the SOA; known names without that type: NODATA', async (t) => {
  const nx = ask('redis.dummy.dokkaa.local', TYPE.A)
  t.equal(nx.rcode, RCODE.NXDOMAIN)
  t.equal(nx.authorities[0]?.type, TYPE.SOA)
  t.equal(nx.authorities[0]?.minimum, 5)
  t.equal(ask('a.b.c.d.dokkaa.local', TYPE.A).rcode, RCODE.NXDOMAIN)
  const nodata = ask('nginx.dummy.dokkaa.local', TYPE.AAAA)
  t.equal(nodata.rcode, RCODE.NOERROR)
  t.same(nodata.answers, [])
  t.equal(nodata.authorities[0]?.type, TYPE.SOA)
  t.equal(ask('dummy.dokkaa.local', TYPE.A).rcode, RCODE.NOERROR, 'an app is an empty non-terminal')
  t.equal(ask('nobody.dokkaa.local', TYPE.A).rcode, RCODE.NXDOMAIN)
})

t.test('SOA and NS of the domain', async (t) => {
  const soa = ask('dokkaa.local', TYPE.SOA)
  t.match(soa.answers[0], { type: TYPE.SOA, primary: 'ns.dns.dokkaa.local', serial: 42 })
  const ns = ask('dokkaa.local', TYPE.NS)
  t.match(ns.answers[0], { type: TYPE.NS, ns: 'ns.dns.dokkaa.local' })
  t.match(ns.additionals[0], { name: 'ns.dns.dokkaa.local', address: '127.0.0.1' })
  t.match(ask('ns.dns.dokkaa.local', TYPE.A).answers[0], { address: '127.0.0.1' })
})

t.test('names outside the domain are forwarded', async (t) => {
  t.same(answerQuestion(tb, { name: 'example.com', type: TYPE.A }, ctx), { kind: 'forward' })
  t.same(answerQuestion(tb, { name: 'local', type: TYPE.A }, ctx), { kind: 'forward' })
})
