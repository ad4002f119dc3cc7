// Volume homes against the real etcd, with the scheduler running and hosts registered as
// conductors register them: the home lands with the assignment, in one transaction; when
// the home host's record vanishes the instance waits for it (pin) and the status says why;
// "volumeFailover": "recreate" starts it on another host and the status says the data
// stayed behind. Everything read back as a user reads etcd.
import t from 'tap'
import { kvOf } from '../../kit/kv.js'
import type { VolumeHomeRecord } from '../../schemas/index.js'
import { waitFor } from '../../test/support/wait-for.js'
import { fakeHost, placement, putManifest, scheduler, status, testCluster, type Cluster } from './test-kit.js'

const ref = { app: 'shop', name: 'db' }
const db = (over: object = {}) => ({ image: 'dokkaa/busybox:test', volumes: { data: '/var/lib/db' }, ...over })
const wait = <T>(fn: () => T | Promise<T>, what: string) => waitFor(fn, { timeoutMs: 15_000, intervalMs: 20, what })

async function homeOf(c: Cluster, index: number): Promise<{ home: VolumeHomeRecord; modRevision: number } | undefined> {
  const e = await kvOf(c.etcd.client).get(c.keys.volumeHome({ ...ref, index }))
  return e && { home: JSON.parse(e.value) as VolumeHomeRecord, modRevision: e.modRevision }
}

t.test('the home is written with the assignment; its host gone, the instance waits for it (pin) or starts afresh elsewhere (recreate)', async t => {
  const c = testCluster(t)
  const h1 = await fakeHost(t, c, 'h1')
  scheduler(t, c, 'sched')
  await putManifest(c, ref, db())
  await wait(async () => (await placement(c, ref)).join() === '0@h1', 'assignment 0 on h1')
  const assigned = await kvOf(c.etcd.client).get(c.keys.assignment('h1', { ...ref, index: 0 }))
  const first = await homeOf(c, 0)
  t.match(first?.home, { host: 'h1', volumes: ['data'], since: /^\d{4}-\d\d-\d\dT/ })
  t.notOk(first?.home.recreatedFrom)
  t.equal(first?.modRevision, assigned?.modRevision, 'written in the same transaction as the assignment')
  t.equal(JSON.parse(assigned!.value).order, 'stop-first', 'a writable volume: replaced stop-first')

  // Another host joins and h1 runs the instance; then h1's record vanishes (its lease lost).
  const h2 = await fakeHost(t, c, 'h2')
  await h1.reportAll()
  await wait(async () => (await status(c, ref))?.phase === 'Running', 'phase Running')
  await h1.lease.revoke()
  const waits = 'instance 0 waits for its volumes (data) on host h1, which is down; set "volumeFailover": "recreate" to start it elsewhere with empty volumes'
  const pending = await wait(async () => { const s = await status(c, ref); return s?.problems.includes(waits) && s }, 'the status says what it waits for')
  t.match(pending, { phase: 'Failed', desired: 1, running: 0 })
  t.same(await placement(c, ref), ['0@h1'], 'not started on h2: its assignment stays with its data')
  t.same(await homeOf(c, 0), first, 'the home is not rewritten')

  // The user opts in: started on h2 with an empty volume; the home moves, naming h1.
  await putManifest(c, ref, db({ volumeFailover: 'recreate' }))
  await wait(async () => (await placement(c, ref)).join() === '0@h2', 'assignment 0 on h2')
  const moved = await homeOf(c, 0)
  t.match(moved?.home, { host: 'h2', volumes: ['data'], recreatedFrom: 'h1' })
  t.equal(moved?.modRevision, (await kvOf(c.etcd.client).get(c.keys.assignment('h2', { ...ref, index: 0 })))?.modRevision, 'again with the assignment')
  await h2.reportAll()
  const recreated = await wait(async () => { const s = await status(c, ref); return s?.phase === 'Running' && s }, 'phase Running on h2')
  t.same(recreated.warnings, ['instance 0 started on h2 with empty volumes (data); its data stays on h1'])
  t.same(recreated.problems, [])
})

t.test('scale-down and delete keep the homes; the index comes back to its home host', async t => {
  const c = testCluster(t)
  await fakeHost(t, c, 'h1')
  await fakeHost(t, c, 'h2')
  scheduler(t, c, 'sched')
  await putManifest(c, ref, db({ scale: 2 }))
  await wait(async () => (await placement(c, ref)).length === 2, '2 assignments')
  t.same(await placement(c, ref), ['0@h1', '1@h2'])
  const homes = [await homeOf(c, 0), await homeOf(c, 1)]
  await c.etcd.client.delete().key(c.keys.manifest(ref))
  await wait(async () => (await placement(c, ref)).length === 0 && (await status(c, ref)) === undefined, 'assignments and status deleted')
  t.same([await homeOf(c, 0), await homeOf(c, 1)], homes, 'the homes stay')
  // An empty host that sorts first joins: spread alone would pick it.
  await fakeHost(t, c, 'h0')
  await putManifest(c, ref, db({ scale: 2 }))
  await wait(async () => (await placement(c, ref)).length === 2, '2 assignments again')
  t.same(await placement(c, ref), ['0@h1', '1@h2'], 'each index back on its home host')
  t.same([await homeOf(c, 0), await homeOf(c, 1)], homes, 'the homes unchanged')
})
