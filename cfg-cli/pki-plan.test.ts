import t from 'tap'
import { componentPlan, type PlanHost } from './pki-plan.js'
import { DEFAULT_CERT_DAYS } from './pki-request.js'

const host = (id: string, address: string, etcd = false, builder = false): PlanHost => ({ id, address, etcd, builder })

t.test('a three-host cluster: etcd on h1, the builder on h2; one identity per process', async t => {
  const plan = componentPlan({ hosts: [host('h1', '10.0.0.2', true), host('h2', '10.0.0.3', false, true), host('h3', 'h3.example.com')] })
  t.same(plan.map(r => [r.name, r.commonName, r.usage]), [
    ['etcd-h1', 'etcd-h1', 'server+client'],
    ['conductor-h1', 'conductor-h1', 'server+client'],
    ['ambassador-h1', 'ambassador-h1', 'client'],
    ['conductor-h2', 'conductor-h2', 'server+client'],
    ['ambassador-h2', 'ambassador-h2', 'client'],
    ['conductor-h3', 'conductor-h3', 'server+client'],
    ['ambassador-h3', 'ambassador-h3', 'client'],
    ['builder', 'builder', 'server+client'],
    ['scheduler', 'scheduler', 'client'],
    ['dokkaacfg', 'dokkaacfg', 'client'],
  ])
  const byName = new Map(plan.map(r => [r.name, r]))
  t.same(byName.get('etcd-h1')!.ipAddresses, ['10.0.0.2', '127.0.0.1'], 'etcd: its address and loopback')
  t.same(byName.get('etcd-h1')!.dnsNames, ['localhost'])
  t.same([byName.get('conductor-h3')!.dnsNames, byName.get('conductor-h3')!.ipAddresses], [['h3.example.com'], []], 'a DNS address is a DNS SAN')
  t.same(byName.get('builder')!.ipAddresses, ['10.0.0.3', '127.0.0.1'], 'the builder at its host\'s address and loopback')
  t.same([byName.get('ambassador-h1')!.dnsNames, byName.get('ambassador-h1')!.ipAddresses], [[], []], 'a client-only certificate has no SANs')
  t.ok(plan.every(r => r.days === DEFAULT_CERT_DAYS))
  t.ok(componentPlan({ hosts: [host('h1', '10.0.0.2')], days: 30 }).every(r => r.days === 30))
})

t.test('no builder host: no builder certificate; an etcd on a DNS address keeps loopback SANs once', async t => {
  const plan = componentPlan({ hosts: [host('Node-1', 'localhost', true)] })
  t.same(plan.map(r => r.name), ['etcd-node-1', 'conductor-node-1', 'ambassador-node-1', 'scheduler', 'dokkaacfg'], 'file names lowercase')
  t.equal(plan[0]!.commonName, 'etcd-Node-1', 'the CN keeps the host id as etcd will see it')
  t.same(plan[0]!.dnsNames, ['localhost'])
})

t.test('bad hosts are refused, each problem named', async t => {
  t.throws(() => componentPlan({ hosts: [host('h1', '10.0.0.2'), host('H1', '10.0.0.3')] }), { code: 'DKA_CFG_USAGE', message: /host id "H1" appears twice/ })
  t.throws(() => componentPlan({ hosts: [host('h/1', '10.0.0.2')] }), { message: /host id "h\/1" is not a valid host id/ })
  t.throws(() => componentPlan({ hosts: [host('h1', '10.0.0.300')] }), { message: /host "h1": address "10.0.0.300" is neither an IPv4\/IPv6 address nor a DNS name/ })
  t.throws(() => componentPlan({ hosts: [host('h1', 'a b')] }), { message: /address "a b"/ })
  t.throws(() => componentPlan({ hosts: [host('h1', '10.0.0.2', false, true), host('h2', '10.0.0.3', false, true)] }), { message: /one builder per cluster, but h1, h2/ })
  t.throws(() => componentPlan({ hosts: [host('h'.repeat(60), '10.0.0.2')] }), { message: /common name "conductor-h+": use 1-64/ }, 'a CN past 64 characters')
  t.throws(() => componentPlan({ hosts: [host('h1', '10.0.0.2')], days: 0 }), { message: /validity of 0 days/ })
})
