import t from 'tap'
import { heldBy, quotaRefusal } from './quota.js'

const policy = { quotas: { default: { manifests: 2, instances: 3 }, users: { big: { memory: '1g' } } } }

t.test('a change that would pass a quota is refused with the quota named', async t => {
  t.same(quotaRefusal(policy, 'alice', [], [{ scale: 1 }, { scale: 1 }]), [])
  const three = quotaRefusal(policy, 'alice', [{ scale: 1 }, { scale: 1 }], [{ scale: 1 }, { scale: 1 }, { scale: 1 }])
  t.equal(three.length, 1)
  t.match(three[0]!.message, /would have 3 manifests; quota manifests is 2/)
  t.match(quotaRefusal(policy, 'alice', [{ scale: 1 }], [{ scale: 4 }])[0]!.message, /quota instances is 3/)
  t.match(quotaRefusal(policy, 'big', [], [{ scale: 1 }])[0]!.message, /resources\.memory is required/)
  t.match(quotaRefusal(policy, 'big', [], [{ scale: 3, resources: { memory: '512m' } }])[0]!.message, /quota memory is 1g/)
  t.same(quotaRefusal(policy, 'root', [], [{ scale: 100 }, { scale: 1 }, { scale: 1 }]), [], 'root is exempt')
  t.same(quotaRefusal(undefined, 'alice', [], [{ scale: 1000 }]), [], 'no policy, no quota')
})

t.test('whoever is over quota may shrink', async t => {
  t.same(quotaRefusal(policy, 'alice', [{ scale: 5 }], [{ scale: 4 }]), [], 'fewer instances, still over')
  t.same(quotaRefusal(policy, 'alice', [{ scale: 1 }, { scale: 1 }, { scale: 1 }], [{ scale: 1 }, { scale: 1 }, { scale: 1 }]), [], 'no change')
  t.equal(quotaRefusal(policy, 'alice', [{ scale: 5 }], [{ scale: 4 }, { scale: 0 }]).length, 1, 'but not grow another way')
})

t.test('stored manifests count leniently', async t => {
  t.same(heldBy({ image: 'x', scale: 2, resources: { memory: '1g' } }), { scale: 2, resources: { memory: '1g' } })
  t.same(heldBy({ image: 'x', resources: { memory: 'lots' } }), { scale: 1 })
  t.same(heldBy(null), { scale: 1 })
  t.same(heldBy({ scale: 1e9 }), { scale: 1000 })
})
