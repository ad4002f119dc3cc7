// The scheduler against the real etcd: hosts and conductors simulated by their records,
// everything asserted as a user reads it with etcdctl.
import t from 'tap'
import { waitFor } from '../../test/support/wait-for.js'
import {
  assignments, fakeHost, placement, putManifest, scheduler, status, testCluster,
} from './test-kit.js'
import { writePlan } from './write-plan.js'

const web = { app: 'shop', name: 'web' }
const nginx = (over: object = {}) => ({ image: 'dokkaa/busybox:test', scale: 1, services: { web: 80 }, ...over })
const wait = <T>(fn: () => T | Promise<T>, what: string) => waitFor(fn, { timeoutMs: 15_000, intervalMs: 20, what })

t.test('a manifest put gets an assignment on a host; the status follows the instance', async t => {
  const c = testCluster(t)
  const h1 = await fakeHost(t, c, 'h1')
  const s = scheduler(t, c, 'h1')
  await putManifest(c, web, nginx())
  await wait(async () => (await placement(c, web)).join() === '0@h1', 'assignment 0 on h1')
  t.ok(s.isLeader, 'the only candidate leads')
  const [a] = await assignments(c, web)
  t.match(a!.value, { spec: { image: 'dokkaa/busybox:test', services: { web: { port: 80 } } }, specHash: /^[0-9a-f]{16}$/ })
  t.match(await wait(() => status(c, web), 'a status'), { phase: 'Pending', desired: 1, running: 0, errors: [], problems: [] })
  await h1.reportAll()
  const st = await wait(async () => { const x = await status(c, web); return x?.phase === 'Running' && x }, 'phase Running')
  t.match(st, { desired: 1, running: 1, specHash: a!.value.specHash, lastEvent: { message: 'all 1 instance running' } })
})

t.test('scale 3 over 2 hosts spreads; scale 1 removes the highest indexes; delete removes all', async t => {
  const c = testCluster(t)
  await fakeHost(t, c, 'h1')
  await fakeHost(t, c, 'h2')
  scheduler(t, c, 'h1')
  await putManifest(c, web, nginx({ scale: 3 }))
  await wait(async () => (await placement(c, web)).length === 3, '3 assignments')
  t.same(await placement(c, web), ['0@h1', '1@h2', '2@h1'])
  await putManifest(c, web, nginx({ scale: 1 }))
  await wait(async () => (await placement(c, web)).join() === '0@h1', 'back to one')
  await c.etcd.client.delete().key(c.keys.manifest(web))
  await wait(async () => (await placement(c, web)).length === 0 && (await status(c, web)) === undefined, 'nothing left')
  t.pass('assignments and status deleted with the manifest')
})

t.test('an invalid manifest: errors with JSON paths in the status, assignments unchanged', async t => {
  const c = testCluster(t)
  const h1 = await fakeHost(t, c, 'h1')
  scheduler(t, c, 'h1')
  await putManifest(c, web, nginx({ scale: 2 }))
  await wait(async () => (await placement(c, web)).length === 2, '2 assignments')
  await h1.reportAll()
  const before = await assignments(c, web)
  await putManifest(c, web, { image: 'dokkaa/busybox:test', scale: -1, services: { 'Bad_Name': 80 } })
  const st = await wait(async () => { const x = await status(c, web); return x?.phase === 'Invalid' && x }, 'phase Invalid')
  t.same(st.errors.map(e => e.path).sort(), ['/scale', '/services/Bad_Name'])
  t.match(st, { desired: 2, running: 2, lastEvent: { message: /is invalid \(2 errors\); revision \d+ keeps running/ } })
  t.same(await assignments(c, web), before, 'the last good version keeps its assignments')
})

t.test('a rolling update proceeds only as instances report running', async t => {
  const c = testCluster(t)
  const h1 = await fakeHost(t, c, 'h1')
  const h2 = await fakeHost(t, c, 'h2')
  scheduler(t, c, 'h1')
  await putManifest(c, web, nginx({ scale: 3 }))
  await wait(async () => (await placement(c, web)).length === 3, '3 assignments')
  await h1.reportAll()
  await h2.reportAll()
  const oldHash = (await assignments(c, web))[0]!.value.specHash
  await putManifest(c, web, nginx({ scale: 3, env: { VERSION: '2' } }))
  const onNew = async () => (await assignments(c, web)).filter(a => a.value.specHash !== oldHash)
  const first = await wait(async () => { const n = await onNew(); return n.length > 0 && n }, 'the first replacement')
  t.equal(first.length, 1)
  // Nothing else moves while the new instance is not running (the scheduler has had
  // every chance: its own status write for this very change is visible).
  await wait(async () => (await status(c, web))?.lastEvent.message.includes('rolling update'), 'status tells the rollout')
  await first[0]!.host === 'h1' ? h1.report(first[0]!, first[0]!.value.specHash, 'creating') : h2.report(first[0]!, first[0]!.value.specHash, 'creating')
  await wait(async () => (await status(c, web))?.running === 0, 'status sees the creating instance')
  t.equal((await onNew()).length, 1, 'still one at a time')
  for (let n = 1; n <= 3; n++) {
    await h1.reportAll()
    await h2.reportAll()
    await wait(async () => (await onNew()).length >= Math.min(n + 1, 3), `${Math.min(n + 1, 3)} on the new spec`)
    t.ok((await onNew()).length <= n + 1, 'never more than one ahead of the running ones')
  }
  await h1.reportAll()
  await h2.reportAll()
  t.match(await wait(async () => { const x = await status(c, web); return x?.phase === 'Running' && x }, 'Running'), { running: 3, desired: 3 })
})

t.test('constraints: only hosts with the labels; none → unschedulable in the status', async t => {
  const c = testCluster(t)
  await fakeHost(t, c, 'h1', { labels: { disk: 'hdd' } })
  await fakeHost(t, c, 'h2', { labels: { disk: 'ssd' } })
  scheduler(t, c, 'h1')
  await putManifest(c, web, nginx({ scale: 2, constraints: { disk: 'ssd' } }))
  await wait(async () => (await placement(c, web)).length === 2, '2 assignments')
  t.same(await placement(c, web), ['0@h2', '1@h2'])
  const gpu = { app: 'shop', name: 'gpu' }
  await putManifest(c, gpu, nginx({ constraints: { gpu: 'yes' } }))
  const st = await wait(async () => { const x = await status(c, gpu); return x?.phase === 'Failed' && x }, 'gpu Failed')
  t.same(st.problems, ['instance 0: unschedulable: no live host has the labels gpu=yes'])
  t.same(await placement(c, gpu), [])
})

t.test('a host whose lease is revoked, or expires: its assignments move to the other host', async t => {
  const c = testCluster(t)
  const h1 = await fakeHost(t, c, 'h1')
  await fakeHost(t, c, 'h2')
  scheduler(t, c, 'h2')
  await putManifest(c, web, nginx({ scale: 2 }))
  await wait(async () => (await placement(c, web)).length === 2, '2 assignments')
  t.same(await placement(c, web), ['0@h1', '1@h2'])
  let at = Date.now()
  await h1.lease.revoke()
  await wait(async () => (await placement(c, web)).join() === '0@h2,1@h2', 'instance 0 moved to h2')
  const revokeMs = Date.now() - at
  t.comment(`lease revoked -> reassigned in ${revokeMs} ms`)

  // Expiry: the host stops its keepalives (as a killed conductor does); TTL 2 s.
  const h3 = await fakeHost(t, c, 'h3', {}, 2)
  await putManifest(c, web, nginx({ scale: 3 }))
  await wait(async () => (await placement(c, web)).includes('2@h3'), 'instance 2 on h3')
  h3.lease.release()
  at = Date.now()
  await wait(async () => (await c.etcd.client.get(c.keys.host('h3')).string()) === null, 'h3 record expired')
  const expiredAt = Date.now()
  await wait(async () => (await placement(c, web)).join() === '0@h2,1@h2,2@h2', 'instance 2 moved to h2')
  t.comment(`keepalives stopped -> lease expired in ${expiredAt - at} ms -> reassigned ${Date.now() - expiredAt} ms later`)
  t.pass('moved')
})

t.test('a deposed leader cannot write: the transaction is guarded by its election key', async t => {
  const c = testCluster(t)
  const plan = {
    puts: [], deletes: [], events: [],
    statuses: [{ key: c.keys.status(web), status: { phase: 'Running' as const, desired: 1, running: 1, revision: 1, errors: [], problems: [], lastEvent: { at: '', message: '' }, updatedAt: '' } }],
  }
  await t.rejects(writePlan(c.etcd.client, c.keys, `${c.keys.schedulerElection}/0`, plan), { code: 'DKA_SCHEDULER_DEPOSED' })
  t.equal(await status(c, web), undefined, 'nothing written')
})

t.test('put → assignment, measured over 30 manifests (reported, not asserted)', async t => {
  const c = testCluster(t)
  await fakeHost(t, c, 'h1')
  scheduler(t, c, 'h1')
  await wait(async () => (await c.etcd.client.getAll().prefix(`${c.keys.schedulerElection}/`).keys()).length === 1, 'a leader')
  const seen = new Map<string, number>()
  const watcher = await c.etcd.client.watch().prefix(c.keys.assignRoot).create()
  t.teardown(() => watcher.cancel())
  watcher.on('put', kv => { if (!seen.has(kv.key.toString())) seen.set(kv.key.toString(), performance.now()) })
  const ms: number[] = []
  for (let i = 0; i < 30; i++) {
    const ref = { app: 'lat', name: `m${i}` }
    const key = c.keys.assignment('h1', { ...ref, index: 0 })
    const at = performance.now()
    await putManifest(c, ref, nginx())
    await wait(() => seen.has(key), `assignment of ${ref.name}`)
    ms.push(seen.get(key)! - at)
  }
  ms.sort((a, b) => a - b)
  const pct = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!.toFixed(1)
  t.comment(`manifest put -> assignment written: p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms (n=${ms.length})`)
  t.equal(ms.length, 30)
})

t.test('a plan larger than one etcd transaction allows is written in guarded chunks', async t => {
  const c = testCluster(t)
  await fakeHost(t, c, 'h1')
  await fakeHost(t, c, 'h2')
  scheduler(t, c, 'h1')
  await putManifest(c, web, nginx({ scale: 230 }))
  await wait(async () => (await placement(c, web)).length === 230, '230 assignments')
  const where = await placement(c, web)
  t.equal(where.filter(w => w.endsWith('@h1')).length, 115, 'spread evenly')
  t.same(new Set(where.map(w => w.split('@')[0])).size, 230, 'each index once')
  t.match(await wait(() => status(c, web), 'status'), { phase: 'Pending', desired: 230 })
})
