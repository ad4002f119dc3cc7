// The scheduler is the only writer of /ports, against the real etcd: it claims a stable
// port for every service placed or linked to, in its leader-guarded write, before the
// assignments that carry them; a port somebody holds is never handed out.
import t from 'tap'
import { waitFor } from '../../test/support/wait-for.js'
import { assignments, fakeHost, putManifest, scheduler, testCluster, type Cluster } from './test-kit.js'
import { writePlan } from './write-plan.js'

const wait = <T>(fn: () => T | Promise<T>, what: string) => waitFor(fn, { timeoutMs: 15_000, intervalMs: 20, what })
const crawler = { app: 'shop', name: 'crawler' }
const range = { from: 24000, to: 24099 }

async function portKeys(c: Cluster): Promise<Record<string, string>> {
  const all = await c.etcd.client.getAll().prefix(`${c.etcd.prefix}/ports`).strings()
  return Object.fromEntries(Object.entries(all).map(([k, v]) => [k.slice(c.etcd.prefix.length), v]))
}

t.test('links get ports claimed with the plan; the assignment carries them', async t => {
  const c = testCluster(t)
  await fakeHost(t, c, 'h1')
  scheduler(t, c, 'h1', { portRange: range })
  await putManifest(c, { app: 'shop', name: 'web' }, { image: 'dokkaa/busybox:test', services: { web: 80 } })
  await putManifest(c, crawler, { image: 'dokkaa/busybox:test', links: ['web', 'db.other'] })
  const [a] = await wait(async () => { const x = await assignments(c, crawler); return x.length === 1 && x }, 'the crawler assigned')
  const { web, 'db.other': db } = a!.value.linkPorts ?? {}
  t.same([web, db].sort(), [24000, 24001], 'the two lowest ports of the range')
  t.same(await portKeys(c), {
    '/ports/shop/web': String(web), '/ports/other/db': String(db),
    [`/ports-owner/${web}`]: 'shop/web', [`/ports-owner/${db}`]: 'other/db',
  })
})

t.test('a port held by hand is skipped; a deposed leader claims nothing', async t => {
  const c = testCluster(t)
  await c.etcd.client.put(`${c.etcd.prefix}/ports-owner/24000`).value('somebody')
  await fakeHost(t, c, 'h1')
  scheduler(t, c, 'h1', { portRange: range })
  await putManifest(c, crawler, { image: 'dokkaa/busybox:test', links: ['web'] })
  const [a] = await wait(async () => { const x = await assignments(c, crawler); return x.length === 1 && x }, 'the crawler assigned')
  t.same(a!.value.linkPorts, { web: 24001 })

  const plan = { ports: [{ app: 'late', service: 'svc', port: 24050 }], puts: [], deletes: [], statuses: [], events: [] }
  await t.rejects(writePlan(c.etcd.client, c.keys, `${c.keys.schedulerElection}/gone`, plan), { code: 'DKA_SCHEDULER_DEPOSED' })
  t.notOk(Object.keys(await portKeys(c)).some(k => k.includes('late') || k.endsWith('24050')), 'no port claimed')
})

t.test('a port claimed meanwhile by someone else: refused, nothing half-written', async t => {
  const c = testCluster(t)
  const leaderKey = `${c.keys.schedulerElection}/me`
  await c.etcd.client.put(leaderKey).value('me')
  await c.etcd.client.put(`${c.etcd.prefix}/ports-owner/24002`).value('somebody')
  const plan = {
    ports: [{ app: 'a', service: 'x', port: 24001 }, { app: 'a', service: 'y', port: 24002 }],
    puts: [], deletes: [], statuses: [], events: [],
  }
  await t.rejects(writePlan(c.etcd.client, c.keys, leaderKey, plan), { code: 'DKA_SCHEDULER_PORT_TAKEN', message: /a\/y:24002/ })
  t.same(await portKeys(c), { '/ports-owner/24002': 'somebody' })
})
