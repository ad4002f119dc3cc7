import t from 'tap'
import { scalePlan, validateDoSettings, clusterTag, etcdTag } from './do-plan.js'
import { rateLimitWaitMs, type Droplet } from './do-api.js'

const d = (id: number, name: string, tags = [clusterTag('demo')]): Droplet =>
  ({ id, name, status: 'active', created_at: `2026-01-01T00:00:0${id}Z`, tags, networks: { v4: [] } })
const s = { cluster: 'demo', namePrefix: 'demo' }

t.test('scale plan: fill the lowest free names, remove newest first, keep the etcd droplet', async t => {
  t.same(scalePlan([], 2, s), { create: ['demo-h1', 'demo-h2'], etcdFirst: true, remove: [] })
  const three = [d(1, 'demo-h1', [clusterTag('demo'), etcdTag('demo')]), d(2, 'demo-h2'), d(3, 'demo-h3')]
  t.same(scalePlan(three, 1, s).remove.map(x => x.name), ['demo-h3', 'demo-h2'])
  t.same(scalePlan(three, 0, s).remove.map(x => x.name), ['demo-h3', 'demo-h2', 'demo-h1'])
  t.same(scalePlan([three[0]!, three[2]!], 3, s), { create: ['demo-h2'], etcdFirst: false, remove: [] }, 'a gap is filled')
  t.same(scalePlan(three, 3, s), { create: [], etcdFirst: false, remove: [] })
  t.throws(() => scalePlan([], -1, s), { code: 'DKA_CFG_USAGE' })
})

t.test('settings are checked before any request', async t => {
  const ok = { cluster: 'demo', namePrefix: 'demo', region: 'ams3', size: 's-1vcpu-2gb', image: 'debian-12-x64', sshKeys: ['123'], prefix: '', leaseTtl: 5, nodeUrl: '', dokkaaPackage: '', dnsUpstream: '' }
  t.doesNotThrow(() => validateDoSettings(ok))
  t.throws(() => validateDoSettings({ ...ok, region: '' }), { message: /--region is required/ })
  t.throws(() => validateDoSettings({ ...ok, sshKeys: ['my key'] }), { message: /neither a key id nor/ })
  t.throws(() => validateDoSettings({ ...ok, namePrefix: 'Bad_Name' }), { message: /--name-prefix/ })
})

t.test('rate limit wait: retry-after first, else ratelimit-reset', async t => {
  const h = (o: Record<string, string>) => ({ get: (k: string) => o[k] ?? null })
  t.equal(rateLimitWaitMs(h({ 'retry-after': '3' }), 0), 3000)
  t.equal(rateLimitWaitMs(h({ 'ratelimit-reset': '1000' }), 998_500), 1500)
  t.equal(rateLimitWaitMs(h({}), 0), 1000)
})
