// The scheduler's monitored rolling update against the real etcd: hosts and conductors
// simulated by their records (with health), everything asserted as a user reads etcd.
import t from 'tap'
import type { InstanceRecord } from '../../schemas/index.js'
import { waitFor } from '../../test/support/wait-for.js'
import { assignments, fakeHost, putManifest, scheduler, status, testCluster, type FakeHost, type StoredAssignment } from './test-kit.js'

const web = { app: 'shop', name: 'web' }
const doc = (version: string) => ({
  image: 'dokkaa/busybox:test', scale: 2, services: { web: 80 }, env: { VERSION: version },
  health: { http: '/healthz', interval: '1s', timeout: '1s', retries: 2 }, update: { monitor: '1s' },
})
const wait = <T>(fn: () => T | Promise<T>, what: string) => waitFor(fn, { timeoutMs: 15_000, intervalMs: 20, what })

t.test('a rollout whose new instance turns unhealthy is rolled back in etcd; a new put rolls out again', async t => {
  const c = testCluster(t)
  const hosts = new Map<string, FakeHost>([['h1', await fakeHost(t, c, 'h1')], ['h2', await fakeHost(t, c, 'h2')]])
  scheduler(t, c, 'h1')
  const report = (a: StoredAssignment, over: Partial<InstanceRecord>) => {
    const at = new Date().toISOString()
    return hosts.get(a.host)!.report(a, a.value.specHash, 'running', undefined, { startedAt: at, ...over })
  }
  const healthy = (a: StoredAssignment) => report(a, { health: 'healthy', healthySince: new Date().toISOString() })

  await putManifest(c, web, doc('1'))
  const v1 = await wait(async () => { const a = await assignments(c, web); return a.length === 2 && a }, '2 assignments')
  for (const a of v1) await healthy(a)
  await wait(async () => (await status(c, web))?.phase === 'Running', 'Running on v1')
  t.notOk((await status(c, web))!.rollout, 'a first deploy is not a rollout')

  await putManifest(c, web, doc('2'))
  const onNew = async () => (await assignments(c, web)).filter(a => a.value.specHash !== v1[0]!.value.specHash)
  const [first] = await wait(async () => { const n = await onNew(); return n.length > 0 && n }, 'the first step')
  t.match(first!.value, { since: /Z$/, previous: { spec: v1[0]!.value.spec, specHash: v1[0]!.value.specHash, revision: v1[0]!.value.revision } })
  t.match(await status(c, web), { phase: 'Updating', rollout: { state: 'rolling', updated: 0, total: 2 } })
  await report(first!, { health: 'unhealthy', healthError: 'GET /healthz: 503' })

  const st = await wait(async () => { const s = await status(c, web); return s?.phase === 'RolledBack' && s }, 'RolledBack')
  t.match(st, {
    validRevision: v1[0]!.value.revision, specHash: v1[0]!.value.specHash,
    rollout: { state: 'rolled-back', from: { revision: v1[0]!.value.revision }, reason: `instance ${first!.index} on ${first!.host} is unhealthy: GET /healthz: 503` },
  })
  const back = await assignments(c, web)
  t.same(back.map(a => [a.index, a.value.spec, a.value.specHash]), v1.map(a => [a.index, a.value.spec, a.value.specHash]), 'the old spec everywhere, exactly')
  t.notOk(back.some(a => a.value.since || a.value.previous), 'no rollout left in the assignments')
  const stored = JSON.parse((await c.etcd.client.get(c.keys.manifest(web)).string())!) as { env: { VERSION: string } }
  t.equal(stored.env.VERSION, '2', 'the manifest the user wrote stays')

  // The conductor brings the old version back; the scheduler sees it and does not try again.
  for (const a of back) await healthy(a)
  await wait(async () => (await status(c, web))?.running === 2, 'both running the old spec')
  t.match(await status(c, web), { phase: 'RolledBack' })
  t.equal((await onNew()).length, 0, 'the failed revision is not retried')

  // A new put of the same document starts a new rollout; each step follows the monitor
  // period by the scheduler's own timer (nothing is written to etcd while it runs).
  await putManifest(c, web, doc('2'))
  const [again] = await wait(async () => { const n = await onNew(); return n.length === 1 && n }, 'a new rollout')
  await healthy(again!)
  const [second] = await wait(async () => { const n = (await onNew()).filter(a => a.index !== again!.index); return n.length === 1 && n }, 'the next step after the monitor period')
  await healthy(second!)
  const done = await wait(async () => { const s = await status(c, web); return s?.rollout?.state === 'completed' && s }, 'completed')
  t.match(done, { phase: 'Running', running: 2, rollout: { to: { specHash: again!.value.specHash }, updated: 2, total: 2 } })
  t.notOk((await assignments(c, web)).some(a => a.value.since || a.value.previous), 'since and previous dropped once done')
})
