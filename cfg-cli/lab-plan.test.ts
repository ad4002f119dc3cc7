import t from 'tap'
import { bridgePlan, hostPlan, maxHosts, overlaps, parseCidr, validateLabSpec } from './lab-plan.js'
import { UsageError } from './errors.js'

const spec = { name: 'dokkaa', subnet: '10.213.0.0/24', bipBase: '172.30' }

t.test('bridge gets .1, host N gets .(1+N) and its own docker bridge', async t => {
  t.same(bridgePlan(spec), { name: 'dokkaa0', address: '10.213.0.1', prefixLength: 24, cidr: '10.213.0.0/24' })
  t.same(hostPlan(spec, 3), {
    index: 3, id: 'dokkaa-h3', netns: 'dokkaa-h3', vethHost: 'dokkaa-h3', vethPeer: 'dokkaa-p3',
    address: '10.213.0.4', prefixLength: 24, bip: '172.30.3.1/24',
  })
})

t.test('a subnet written with host bits set is normalised', async t => {
  t.equal(bridgePlan({ ...spec, subnet: '10.213.7.99/24' }).address, '10.213.7.1')
})

t.test('interface names stay within Linux limits', async t => {
  const long = { ...spec, name: 'abcdefghij' }
  validateLabSpec(long)
  t.ok(hostPlan(long, 253).vethHost.length <= 15)
  t.throws(() => validateLabSpec({ ...spec, name: 'abcdefghijk' }), UsageError)
  t.throws(() => validateLabSpec({ ...spec, name: 'Bad' }), UsageError)
})

t.test('host indexes are bounded by the subnet', async t => {
  t.equal(maxHosts({ ...spec, subnet: '10.0.0.0/28' }), 13)
  t.throws(() => hostPlan({ ...spec, subnet: '10.0.0.0/28' }, 14), UsageError)
  t.throws(() => hostPlan(spec, 0), UsageError)
})

t.test('bad subnets are usage errors', async t => {
  t.throws(() => parseCidr('10.0.0.0'), UsageError)
  t.throws(() => parseCidr('10.0.0.300/24'), UsageError)
  t.throws(() => parseCidr('10.0.0.0/30'), UsageError)
  t.throws(() => validateLabSpec({ ...spec, bipBase: '172' }), UsageError)
})

t.test('overlap detection against routed subnets', async t => {
  t.equal(overlaps('10.213.0.0/24', ['192.0.2.0/24', '10.0.0.0/8']), '10.0.0.0/8')
  t.equal(overlaps('10.213.0.0/24', ['10.213.1.0/24', 'default', '172.17.0.1']), undefined)
  t.equal(overlaps('10.213.0.0/24', ['10.213.0.5']), '10.213.0.5')
})
