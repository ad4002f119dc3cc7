// The monitored rolling update, as a user sees it in etcd: assignments (spec, since,
// previous, order) and the status (phase, rollout, lastEvent), with the clock injected.
import t from 'tap'
import { containerSpec, parseManifest, specHash, type StatusRecord } from '../../schemas/index.js'
import { readStatusRecord } from '../etcd-records.js'
import {
  applyPlan, conductorsReportAt, host, input, manifest, placed, runInTime, statusOf, type Behaviour, type Placed,
} from './plan-fixtures.js'
import { planSchedule } from './plan-schedule.js'
import type { ScheduleInput } from './plan-types.js'

const SECOND = 1000
const web = (image: string, over: object = {}) => ({
  image, scale: 3, services: { web: 80 }, health: { http: '/healthz', interval: '1s', timeout: '1s', retries: 2 }, update: { monitor: '10s' }, ...over,
})
const specOf = (doc: object) => {
  const r = parseManifest(JSON.stringify(doc))
  if (!r.ok) throw new Error('invalid test manifest')
  const spec = containerSpec(r.manifest)
  return { spec, specHash: specHash(spec) }
}
const healthy = (): Behaviour => 'healthy'
/** v1 is healthy; the image under test behaves as told. */
const v2Is = (b: Behaviour) => (a: Placed): Behaviour => (a.value.spec.image === 'nginx:2' ? b : 'healthy')
const hashes = (i: ScheduleInput) => placed(i).sort((a, b) => a.index - b.index).map(a => a.value.specHash)
const status = (i: ScheduleInput) => statusOf(i, 'a', 'web')!
const last = <T>(xs: readonly T[]) => xs[xs.length - 1]!

/** Three hosts, `doc` deployed at revision 5 and healthy. */
function deployed(doc: object = web('nginx:1')): ScheduleInput {
  const i = input({ hosts: [host('h1'), host('h2'), host('h3')], manifests: [manifest('a', 'web', doc, 5)] })
  return last(runInTime(i, planSchedule, healthy))
}

function put(i: ScheduleInput, doc: object, revision: number): ScheduleInput {
  return { ...i, manifests: [manifest('a', 'web', doc, revision)] }
}

t.test('a first deploy is not a rollout: no rollout, no since or previous', async t => {
  const i = deployed()
  t.match(status(i), { phase: 'Running', running: 3 })
  t.notOk(status(i).rollout)
  for (const a of placed(i)) t.same(Object.keys(a.value).sort(), ['revision', 'spec', 'specHash'])
  t.same(planSchedule(i), { ports: [], puts: [], homes: [], deletes: [], statuses: [], events: [] }, 'a settled cluster plans nothing, wakes for nothing')
})

t.test('start-first, one at a time: each step waits until the new instance was healthy for the monitor period', async t => {
  let i = put(deployed(), web('nginx:2'), 6)
  const v1 = specOf(web('nginx:1'))
  const v2 = specOf(web('nginx:2'))
  let plan = planSchedule(i)
  t.same(plan.puts.map(p => p.key), ['/u/assign/h1/a/web/0'], 'one instance, the lowest index')
  t.same(plan.puts[0]!.value, { spec: v2.spec, specHash: v2.specHash, revision: 6, since: new Date(i.now).toISOString(), previous: { ...v1, revision: 5 } },
    'since and previous; no order for start-first')
  t.match(plan.statuses[0]!.status, {
    phase: 'Updating', specHash: v2.specHash,
    rollout: { state: 'rolling', from: { revision: 5, specHash: v1.specHash }, to: { revision: 6, specHash: v2.specHash }, updated: 0, total: 3 },
    lastEvent: { message: /^rolling update from revision 5 to 6: 3 instances, 1 at a time, start-first; rolling update: replacing instance 0 on h1/ },
  })
  i = conductorsReportAt(applyPlan(i, plan), healthy)
  const healthyAt = i.now
  plan = planSchedule(i)
  t.same(plan.puts, [], 'healthy is not yet good')
  t.equal(plan.wakeAt, healthyAt + 10 * SECOND, 'the loop is told when the monitor period ends')
  i = applyPlan(i, plan)
  t.same(planSchedule({ ...i, now: healthyAt + 10 * SECOND - 1 }).puts, [], 'a millisecond early: still waiting')
  i = { ...i, now: healthyAt + 10 * SECOND }
  plan = planSchedule(i)
  t.same(plan.puts.map(p => p.key), ['/u/assign/h2/a/web/1'], 'the monitor period is over: the next step')
  t.match(plan.statuses[0]!.status.rollout, { state: 'rolling', updated: 1, total: 3 })

  const states = runInTime(applyPlan(i, plan), planSchedule, healthy)
  const end = last(states)
  t.same(hashes(end), [v2.specHash, v2.specHash, v2.specHash])
  for (const a of placed(end)) t.notOk('since' in a.value || 'previous' in a.value, `instance ${a.index}: since and previous dropped once done`)
  t.match(status(end), {
    phase: 'Running', running: 3, validRevision: 6,
    rollout: { state: 'completed', updated: 3, total: 3, endedAt: new Date(end.now).toISOString() },
    lastEvent: { message: /rolling update to revision 6 completed: 3 instances updated/ },
  })
  t.notOk(status(end).rollout!.restartsBefore, 'the crash-loop baselines go with the rollout')
  t.equal(end.now - healthyAt, 30 * SECOND, 'three monitor periods in all')
  const again = planSchedule(end)
  t.same([again.puts, again.deletes, again.statuses, again.wakeAt], [[], [], [], undefined], 'settled: nothing to write, nothing to wait for')
})

t.test('a new version that turns unhealthy is rolled back: the exact old spec, status RolledBack, never retried', async t => {
  const v1 = specOf(web('nginx:1'))
  let i = put(deployed(), web('nginx:2'), 6)
  i = conductorsReportAt(applyPlan(i, planSchedule(i)), v2Is('unhealthy'))
  const plan = planSchedule(i)
  t.same(plan.puts.map(p => p.key), ['/u/assign/h1/a/web/0'])
  t.same(plan.puts[0]!.value, { spec: v1.spec, specHash: v1.specHash, revision: 5 }, 'the last good spec, hash and revision; nothing else')
  const st = plan.statuses[0]!.status
  t.match(st, {
    phase: 'RolledBack', revision: 6, validRevision: 5, specHash: v1.specHash,
    rollout: { state: 'rolled-back', from: { revision: 5 }, to: { revision: 6 }, reason: 'instance 0 on h1 is unhealthy: GET /healthz: 503' },
    lastEvent: { message: /^rolled back to revision 5: instance 0 on h1 is unhealthy: GET \/healthz: 503; rolling back: replacing instance 0 on h1/ },
  })
  // The status goes through etcd and back as the scheduler reads it.
  i = applyPlan(i, plan)
  i = { ...i, statuses: new Map([...i.statuses].map(([k, s]) => [k, readStatusRecord(JSON.stringify(s))!])) }
  const states = runInTime(i, planSchedule, v2Is('unhealthy'))
  const end = last(states)
  t.same(hashes(end), [v1.specHash, v1.specHash, v1.specHash], 'the old version everywhere')
  t.ok(states.every(s => hashes(s).every(h => h === v1.specHash)), 'the failed revision is not tried again')
  t.match(status(end), { phase: 'RolledBack', running: 3, rollout: { state: 'rolled-back' } })
  t.match(status(end).lastEvent.message, /^rolled back to revision 5/)

  // A new put of the same document (a new revision) starts a new rollout.
  const retry = planSchedule(put(end, web('nginx:2'), 7))
  t.same(retry.puts.map(p => p.key), ['/u/assign/h1/a/web/0'])
  t.match(retry.statuses[0]!.status, { phase: 'Updating', rollout: { state: 'rolling', from: { revision: 5 }, to: { revision: 7 } } })
})

t.test('every instance on the new spec goes back at once, whatever step failed', async t => {
  const v1 = specOf(web('nginx:1'))
  let i = put(deployed(), web('nginx:2'), 6)
  // Instance 0 comes good; instance 1 (the second step) never gets healthy.
  const behave = (a: Placed): Behaviour => (a.value.spec.image !== 'nginx:2' ? 'healthy' : a.index === 0 ? 'healthy' : 'starting')
  const states = runInTime(i, planSchedule, behave)
  i = last(states)
  t.same(hashes(i), [v1.specHash, v1.specHash, v1.specHash])
  const rollout = status(i).rollout!
  t.equal(rollout.state, 'rolled-back')
  // The deadline: monitor 10 s + 2 checks of (1 s + 1 s) + 60 s for the pull.
  t.equal(rollout.reason, 'instance 1 on h2 was not healthy for 10s within 1m14s of its update')
  const rolledBack = states.findIndex(s => status(s).phase === 'RolledBack')
  t.same(hashes(states[rolledBack - 1]!).slice(0, 2).map(h => h !== v1.specHash), [true, true], 'two instances were on the new spec')
})

for (const [behaviour, reason] of [
  ['failed', /^instance 0 on h1 failed: pull failed: not found$/],
  ['restarting', /^instance 0 on h1 is restarting \(crash loop\)$/],
] as const) {
  t.test(`a new instance that reports ${behaviour}: rolled back with the reason`, async t => {
    let i = put(deployed(), web('nginx:2'), 6)
    i = conductorsReportAt(applyPlan(i, planSchedule(i)), v2Is(behaviour))
    t.match(planSchedule(i).statuses[0]!.status, { phase: 'RolledBack', rollout: { reason } })
  })
}

t.test('a crash loop is seen in the restart count, even when the record says running', async t => {
  let i = put(deployed(), web('nginx:2'), 6)
  i = conductorsReportAt(applyPlan(i, planSchedule(i)), v2Is('healthy'))
  i = applyPlan(i, planSchedule(i))
  t.match(status(i).rollout, { state: 'rolling', restartsBefore: { 0: 0 } })
  const inst = i.instances.get('a/web/0')!
  i = { ...i, instances: new Map(i.instances).set('a/web/0', { ...inst, restarts: inst.restarts + 2, health: 'starting', healthySince: undefined }) }
  t.match(planSchedule(i).statuses[0]!.status, { phase: 'RolledBack', rollout: { reason: 'instance 0 on h1 restarted 2 times since it was updated (crash loop)' } })
})

t.test('failureAction pause: stops where it is and says so; nothing moves until a new put', async t => {
  const doc = (image: string) => web(image, { update: { monitor: '10s', failureAction: 'pause' } })
  const v1 = specOf(doc('nginx:1'))
  const v2 = specOf(doc('nginx:2'))
  let i = put(deployed(doc('nginx:1')), doc('nginx:2'), 6)
  i = conductorsReportAt(applyPlan(i, planSchedule(i)), v2Is('unhealthy'))
  const plan = planSchedule(i)
  t.same(plan.puts, [], 'nothing rolled back')
  t.match(plan.statuses[0]!.status, {
    phase: 'Paused', rollout: { state: 'paused', reason: 'instance 0 on h1 is unhealthy: GET /healthz: 503' },
    lastEvent: { message: 'rolling update paused: instance 0 on h1 is unhealthy: GET /healthz: 503' },
  })
  const end = last(runInTime(applyPlan(i, plan), planSchedule, v2Is('unhealthy')))
  t.same(hashes(end), [v2.specHash, v1.specHash, v1.specHash], 'where it stopped')
  t.match(placed(end).find(a => a.index === 0)!.value, { since: /Z$/, previous: { specHash: v1.specHash } }, 'still able to go back')
  t.equal(status(end).phase, 'Paused')
})

t.test('a put after a pause starts a new rollout: a still-starting instance gets a fresh deadline, not the spent one', async t => {
  const doc = (image: string) => web(image, { update: { monitor: '10s', failureAction: 'pause' } })
  let i = put(deployed(doc('nginx:1')), doc('nginx:2'), 6)
  const states = runInTime(i, planSchedule, v2Is('starting'))
  i = last(states)
  t.match(status(i), { phase: 'Paused', rollout: { state: 'paused', reason: /^instance 0 on h1 was not healthy for 10s within 1m14s/ } })
  i = put(i, doc('nginx:2'), 7)
  const plan = planSchedule(i)
  t.match(plan.statuses[0]!.status, { phase: 'Updating', rollout: { state: 'rolling', from: { revision: 5 }, to: { revision: 7 } } })
  t.same(plan.puts.map(p => [p.key, p.value.since]), [['/u/assign/h1/a/web/0', new Date(i.now).toISOString()]], 'the same spec, a new start')
  i = conductorsReportAt(applyPlan(i, plan), v2Is('healthy'))
  const end = last(runInTime(i, planSchedule, v2Is('healthy')))
  t.match(status(end), { phase: 'Running', rollout: { state: 'completed', to: { revision: 7 } } })
})

t.test('parallelism 2 and a delay: two at a time, the next step a delay after the last became good', async t => {
  const doc = (image: string) => web(image, { scale: 5, update: { parallelism: 2, delay: '20s', monitor: '10s' } })
  let i = put(deployed(doc('nginx:1')), doc('nginx:2'), 6)
  const start = i.now
  let plan = planSchedule(i)
  t.same(plan.puts.map(p => p.key.split('/').pop()), ['0', '1'])
  i = conductorsReportAt(applyPlan(i, plan), healthy)
  plan = planSchedule({ ...i, now: start + 10 * SECOND })
  t.same(plan.puts, [], 'good now, but the delay runs')
  t.equal(plan.wakeAt, start + 30 * SECOND)
  plan = planSchedule({ ...i, now: start + 30 * SECOND })
  t.same(plan.puts.map(p => p.key.split('/').pop()), ['2', '3'])
  const end = last(runInTime(applyPlan({ ...i, now: start + 30 * SECOND }, plan), planSchedule, healthy))
  t.equal(end.now - start, 70 * SECOND, '3 steps: 10 s monitor each, 20 s delay between')
  t.equal(status(end).rollout?.state, 'completed')
})

t.test('stop-first: every assignment of the manifest says so; start-first ones do not', async t => {
  const doc = (image: string) => web(image, { update: { order: 'stop-first' } })
  let i = deployed(doc('nginx:1'))
  for (const a of placed(i)) t.equal(a.value.order, 'stop-first')
  i = put(i, doc('nginx:2'), 6)
  const plan = planSchedule(i)
  t.equal(plan.puts[0]!.value.order, 'stop-first')
  t.match(plan.statuses[0]!.status.lastEvent.message, /1 at a time, stop-first/)
})

t.test('an old instance that is down is replaced first, and the rest stay up', async t => {
  let i = put(deployed(), web('nginx:2'), 6)
  const inst = i.instances.get('a/web/2')!
  i = { ...i, instances: new Map(i.instances).set('a/web/2', { ...inst, state: 'exited', health: undefined }) }
  t.same(planSchedule(i).puts.map(p => p.key), ['/u/assign/h3/a/web/2'])
})

t.test('a new put during a rollout replaces it: one rollout, from the same last good spec', async t => {
  const v1 = specOf(web('nginx:1'))
  const v3 = specOf(web('nginx:3'))
  let i = put(deployed(), web('nginx:2'), 6)
  i = conductorsReportAt(applyPlan(i, planSchedule(i)), healthy)
  i = put(i, web('nginx:3'), 7)
  const plan = planSchedule(i)
  t.match(plan.statuses[0]!.status.rollout, { state: 'rolling', from: { revision: 5, specHash: v1.specHash }, to: { revision: 7, specHash: v3.specHash } })
  t.match(plan.statuses[0]!.status.lastEvent.message, /rolling update from revision 5 to 7 \(replacing the update to revision 6\)/)
  t.same(plan.puts.map(p => p.key), ['/u/assign/h1/a/web/0'], 'the half-done instance first: it is not good yet')
  t.same(plan.puts[0]!.value.previous, { ...v1, revision: 5 }, 'it can still go back to the last good spec')
  const end = last(runInTime(applyPlan(i, plan), planSchedule, v2Is('healthy')))
  t.same(hashes(end), [v3.specHash, v3.specHash, v3.specHash])
})

t.test('manifests without update or health roll as before: no since, previous or order, no rollout', async t => {
  const plainDoc = (image: string) => ({ image, scale: 2, services: { web: 80 } })
  let i = put(deployed(plainDoc('nginx:1')), plainDoc('nginx:2'), 6)
  const plan = planSchedule(i)
  t.same(Object.keys(plan.puts[0]!.value).sort(), ['revision', 'spec', 'specHash'])
  t.match(plan.statuses[0]!.status, { phase: 'Pending' })
  t.notOk(plan.statuses[0]!.status.rollout)
  t.equal(plan.wakeAt, undefined)
  i = conductorsReportAt(applyPlan(i, plan), () => 'running')
  t.same(planSchedule(i).puts.map(p => p.key), ['/u/assign/h2/a/web/1'], 'ready is enough: no monitor period')
})

t.test('an image health check counts without a manifest check: unhealthy is not ready', async t => {
  const plainDoc = (image: string) => ({ image, scale: 2, services: { web: 80 } })
  let i = put(deployed(plainDoc('nginx:1')), plainDoc('nginx:2'), 6)
  i = conductorsReportAt(applyPlan(i, planSchedule(i)), v2Is('unhealthy'))
  t.same(planSchedule(i).puts, [], 'the next one waits')
  t.equal((status(applyPlan(i, planSchedule(i))) as StatusRecord).running, 0)
})
