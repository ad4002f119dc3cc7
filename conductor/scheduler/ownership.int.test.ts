// Issue #8, quotas and links, against the real etcd: the scheduler reads and watches
// /owners/<app> and the quotas of /config/policy. A user's newest manifests past their
// quota are not scheduled and their status names the quota; a link into another user's
// app is an error naming the link; root is exempt from both. An owner record changing
// later is seen at once.
import t from 'tap'
import { waitFor } from '../../test/support/wait-for.js'
import { fakeHost, placement, putManifest, scheduler, status, testCluster, type Cluster } from './test-kit.js'

const web = (over: object = {}) => ({ image: 'dokkaa/busybox:test', scale: 1, services: { web: 80 }, ...over })
const wait = <T>(fn: () => T | Promise<T>, what: string) => waitFor(fn, { timeoutMs: 15_000, intervalMs: 20, what })
const own = (c: Cluster, app: string, user: string) =>
  c.etcd.client.put(c.keys.owner(app)).value(JSON.stringify({ user, createdAt: new Date().toISOString() }))

t.test('quotas refuse the newest manifests of a user over quota; root is exempt', async t => {
  const c = testCluster(t)
  await fakeHost(t, c, 'h1')
  await c.etcd.client.put(c.keys.policy).value(JSON.stringify({ quotas: { default: { instances: 3 } } }))
  await own(c, 'alice-a', 'alice')
  await own(c, 'alice-b', 'alice')
  scheduler(t, c, 'h1')
  await putManifest(c, { app: 'alice-a', name: 'web' }, web({ scale: 2 }))
  await wait(async () => (await placement(c, { app: 'alice-a', name: 'web' })).length === 2, 'alice\'s first manifest placed')
  await putManifest(c, { app: 'alice-b', name: 'web' }, web({ scale: 2 }))
  const st = await wait(async () => { const s = await status(c, { app: 'alice-b', name: 'web' }); return s?.phase === 'Invalid' && s }, 'the newer one refused')
  t.match(st.errors, [{ message: 'quota exceeded: user "alice" would have 4 instances; quota instances is 3 (ask an operator to raise quotas in /config/policy)' }])
  t.same(await placement(c, { app: 'alice-b', name: 'web' }), [], 'not scheduled')

  await putManifest(c, { app: 'rooted', name: 'web' }, web({ scale: 5 }))
  await wait(async () => (await placement(c, { app: 'rooted', name: 'web' })).length === 5, 'root (no owner record) is exempt')

  // Raising the quota in the policy lets the refused manifest through.
  await c.etcd.client.put(c.keys.policy).value(JSON.stringify({ quotas: { default: { instances: 4 } } }))
  await wait(async () => (await placement(c, { app: 'alice-b', name: 'web' })).length === 2, 'scheduled once the quota allows')
})

t.test('links into another user\'s app are errors; an owner change is seen at once', async t => {
  const c = testCluster(t)
  await fakeHost(t, c, 'h1')
  await own(c, 'shop', 'alice')
  await own(c, 'cache', 'alice')
  await own(c, 'db', 'bob')
  scheduler(t, c, 'h1')
  await putManifest(c, { app: 'db', name: 'pg' }, web({ services: { pg: 5432 } }))
  await putManifest(c, { app: 'cache', name: 'redis' }, web({ services: { redis: 6379 } }))
  await putManifest(c, { app: 'shop', name: 'front' }, web({ links: ['redis.cache', 'pg.db'] }))
  const st = await wait(async () => { const s = await status(c, { app: 'shop', name: 'front' }); return s?.phase === 'Invalid' && s }, 'the foreign link refused')
  t.match(st.errors, [{ path: '/links/1', message: /link "pg\.db": app "db" is not yours/ }])
  t.same(await placement(c, { app: 'shop', name: 'front' }), [])

  await own(c, 'db', 'alice')
  await wait(async () => (await placement(c, { app: 'shop', name: 'front' })).length === 1, 'placed once db is alice\'s too')
  await c.etcd.client.put(c.keys.owner('db')).value('{"user": 42}')
  // Junk owner record: the app counts as root's, so alice may not link to it.
  await wait(async () => (await status(c, { app: 'shop', name: 'front' }))?.phase === 'Invalid', 'a junk owner record is root\'s')
})
