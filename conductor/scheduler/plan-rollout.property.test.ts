// Model-based property test of the monitored rolling update: random histories of puts of
// good and broken versions, and of time passing, driven through the planner and a
// simulated conductor (start-first keeps the old container serving until the new one is
// healthy; stop-first stops it first). The rollout's promises are checked after every plan.
import fc from 'fast-check'
import t from 'tap'
import { canonicalJson, type RolloutStatus } from '../../schemas/index.js'
import { checkManifest } from './check-manifest.js'
import {
  applyPlan, conductorsReportAt, host, input, manifest, placed, runInTime, statusOf, type Behaviour, type Placed,
} from './plan-fixtures.js'
import { planSchedule } from './plan-schedule.js'
import { instanceId, type ScheduleInput, type SchedulePlan } from './plan-types.js'
import { isReady } from './rollout-rules.js'

const MONITOR_MS = 10_000
const IMAGES = ['img:1', 'img:2', 'img:3', 'img:4']
const BROKEN: Behaviour[] = ['unhealthy', 'failed', 'restarting', 'starting']

interface Policy { scale: number; parallelism: number; order: 'start-first' | 'stop-first'; failureAction: 'rollback' | 'pause'; delay: string }
const arbPolicy: fc.Arbitrary<Policy> = fc.record({
  scale: fc.integer({ min: 1, max: 5 }), parallelism: fc.integer({ min: 1, max: 3 }),
  order: fc.constantFrom('start-first' as const, 'stop-first' as const), failureAction: fc.constantFrom('rollback' as const, 'pause' as const),
  delay: fc.constantFrom('0s', '5s'),
})
// img:1 is deployed first and healthy; the others are healthy or broken, each in its own way.
const arbVersions = fc.tuple(...IMAGES.slice(1).map(() => fc.constantFrom<Behaviour>('healthy', 'healthy', ...BROKEN)))
  .map(b => new Map<string, Behaviour>([['img:1', 'healthy'], ...IMAGES.slice(1).map((img, n) => [img, b[n]!] as [string, Behaviour])]))

type Action = { kind: 'put'; image: string } | { kind: 'tick'; ms: number } | { kind: 'wake' }
const arbAction: fc.Arbitrary<Action> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('put' as const), image: fc.constantFrom(...IMAGES) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 40_000 }) }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'wake' as const }) },
)

const doc = (p: Policy, image: string) => ({
  image, scale: p.scale, services: { web: 80 }, health: { http: '/healthz', interval: '1s', timeout: '1s', retries: 2 },
  update: { parallelism: p.parallelism, order: p.order, failureAction: p.failureAction, delay: p.delay, monitor: `${MONITOR_MS / 1000}s` },
})

interface World {
  s: ScheduleInput
  /** Index -> the container that answers for it (host and spec hash), as ambassadors would see it. */
  serving: Map<number, { host: string; hash: string }>
  revision: number
}

const rollout = (s: ScheduleInput): RolloutStatus | undefined => statusOf(s, 'app', 'web')?.rollout
const phase = (s: ScheduleInput) => statusOf(s, 'app', 'web')?.phase
const byIndex = (s: ScheduleInput) => new Map(placed(s).map(a => [a.index, a]))

// Since when the instance of an assignment has been healthy on its spec, read from its record
// here rather than through the planner's own rules.
function goodSince(s: ScheduleInput, a: Placed): number | undefined {
  const r = s.instances.get(instanceId(a))
  const up = r && r.host === a.host && r.specHash === a.value.specHash && r.state === 'running' && r.health === 'healthy'
  return up && r.healthySince ? Date.parse(r.healthySince) : undefined
}

const delayMs = (p: Policy) => (p.delay === '5s' ? 5_000 : 0)

function targetHash(s: ScheduleInput): string {
  return checkManifest(s.manifests[0]!, undefined).specHash!
}

// What the simulated conductors leave serving once they carried out the assignments.
function serve(w: World, p: Policy): Map<number, { host: string; hash: string }> {
  const serving = new Map<number, { host: string; hash: string }>()
  for (const a of placed(w.s)) {
    const before = w.serving.get(a.index)
    if (isReady(a, w.s.instances.get(instanceId(a)))) serving.set(a.index, { host: a.host, hash: a.value.specHash })
    else if (p.order === 'start-first' && before && before.host === a.host && before.hash !== a.value.specHash) serving.set(a.index, before)
  }
  return serving
}

function check(p: Policy, before: World, plan: SchedulePlan, after: World): void {
  const s = before.s
  const target = targetHash(s)
  if (plan.wakeAt !== undefined && plan.wakeAt <= s.now) throw new Error(`wake-up ${plan.wakeAt} not after now ${s.now}`)
  const was = byIndex(s)
  const now = byIndex(after.s)
  const rolledBackNow = phase(after.s) === 'RolledBack' && rollout(s)?.state !== 'rolled-back'
  const from = rollout(after.s)?.from.specHash
  // One rollout at a time: a spec changes only to the manifest's, back to its own previous, or (rollback) to the last good one.
  for (const [i, a] of now) {
    const old = was.get(i)
    if (!old || old.value.specHash === a.value.specHash) continue
    const allowed = [target, old.value.previous?.specHash, rolledBackNow ? from : undefined]
    if (!allowed.includes(a.value.specHash)) throw new Error(`instance ${i} moved to spec ${a.value.specHash}, neither the manifest's nor a rollback`)
  }
  // Never more than `parallelism` instances on the new spec that are not good yet.
  const inFlight = [...now.values()].filter(a => {
    const since = goodSince(after.s, a)
    return a.value.specHash === target && a.value.since !== undefined && (since === undefined || s.now - since < MONITOR_MS)
  })
  if (!rolledBackNow && inFlight.length > p.parallelism) throw new Error(`${inFlight.length} instances in flight, parallelism ${p.parallelism}`)
  // A step (an old instance given the new spec) only when every new one was healthy for the
  // monitor period, and the delay has passed since the last of them got there.
  const stepped = [...now].filter(([i, a]) => a.value.specHash === target && was.get(i) !== undefined && was.get(i)!.value.specHash !== target)
  if (stepped.length > 0 && rollout(s)?.state === 'rolling' && rollout(s)?.to.specHash === target) {
    const onNew = [...was.values()].filter(a => a.value.specHash === target)
    const waiting = onNew.filter(a => goodSince(s, a) === undefined || s.now - goodSince(s, a)! < MONITOR_MS)
    if (waiting.length > 0) throw new Error(`instance ${stepped[0]![0]} stepped while instance ${waiting[0]!.index} is not good`)
    const lastGood = Math.max(...onNew.filter(a => a.value.since !== undefined).map(a => goodSince(s, a)! + MONITOR_MS))
    if (s.now < lastGood + delayMs(p)) throw new Error(`instance ${stepped[0]![0]} stepped ${lastGood + delayMs(p) - s.now} ms before the delay ended`)
  }
  // A rollback restores the last good spec, exactly, everywhere.
  if (rolledBackNow) {
    const good = placed(s).find(a => a.value.previous?.specHash === from)?.value.previous
    for (const a of now.values()) {
      if (a.value.specHash !== from || (good && canonicalJson(a.value.spec) !== canonicalJson(good.spec))) throw new Error(`instance ${a.index} not back on the last good spec`)
      if (a.value.since !== undefined || a.value.previous !== undefined) throw new Error(`instance ${a.index} still marked as in a rollout`)
    }
  }
  // A rolled back or paused revision is not tried again (nor continued).
  const halted = (phase(s) === 'RolledBack' || phase(s) === 'Paused') && rollout(s)?.to.revision === s.manifests[0]!.revision
  if (halted && stepped.length > 0) throw new Error(`${phase(s)} revision ${rollout(s)!.to.revision} tried again`)
  // Start-first never has fewer than scale - parallelism instances serving; nor has stop-first, but for its rollback.
  const serving = after.serving.size
  if (p.order === 'start-first' ? serving < p.scale - p.parallelism : !rolledBackNow && serving < Math.min(before.serving.size, p.scale - p.parallelism)) {
    throw new Error(`${serving} instances serving, scale ${p.scale}, parallelism ${p.parallelism}`)
  }
}

function run(p: Policy, versions: Map<string, Behaviour>, actions: Action[]): void {
  const behave = (a: Placed): Behaviour => versions.get(a.value.spec.image)!
  let s = input({ hosts: [host('h1'), host('h2'), host('h3')], manifests: [manifest('app', 'web', doc(p, 'img:1'), 100)] })
  s = runInTime(s, planSchedule, behave).pop()!
  let w: World = { s, serving: new Map(placed(s).map(a => [a.index, { host: a.host, hash: a.value.specHash }])), revision: 100 }
  for (const a of actions) {
    let next = w.s
    if (a.kind === 'put') next = { ...next, manifests: [manifest('app', 'web', doc(p, a.image), ++w.revision)] }
    if (a.kind === 'tick') next = conductorsReportAt({ ...next, now: next.now + a.ms }, behave)
    const before: World = { ...w, s: next }
    const plan = planSchedule(next)
    if (a.kind === 'wake' && plan.wakeAt !== undefined && plan.puts.length === 0) next = { ...next, now: plan.wakeAt }
    else next = applyPlan(next, plan)
    next = conductorsReportAt(next, behave)
    const after: World = { ...w, s: next }
    after.serving = serve({ ...after, serving: w.serving }, p)
    check(p, before, plan, after)
    w = after
  }
  // Left alone, it settles: nothing to write, nothing to wait for, no rollout running.
  const end = runInTime(w.s, planSchedule, behave, 300).pop()!
  const last = planSchedule(end)
  if (last.puts.length + last.deletes.length + last.statuses.length > 0 || last.wakeAt !== undefined) throw new Error('a settled cluster still plans')
  if (rollout(end)?.state === 'rolling') throw new Error('a rollout that never ends')
}

t.test('rollouts keep their promises over random histories of good and broken versions', async t => {
  fc.assert(fc.property(arbPolicy, arbVersions, fc.array(arbAction, { minLength: 1, maxLength: 30 }), run), { numRuns: 300 })
  t.pass('300 histories')
})

t.test('a good version always ends deployed everywhere; a broken one never does', async t => {
  fc.assert(fc.property(arbPolicy, arbVersions, fc.constantFrom(...IMAGES.slice(1)), (p, versions, image) => {
    const behave = (a: Placed): Behaviour => versions.get(a.value.spec.image)!
    let s = input({ hosts: [host('h1'), host('h2'), host('h3')], manifests: [manifest('app', 'web', doc(p, 'img:1'), 100)] })
    s = runInTime(s, planSchedule, behave).pop()!
    const old = placed(s)[0]!.value.specHash
    s = runInTime({ ...s, manifests: [manifest('app', 'web', doc(p, image), 101)] }, planSchedule, behave, 300).pop()!
    const want = versions.get(image) === 'healthy' ? targetHash(s) : p.failureAction === 'rollback' ? old : undefined
    const hashes = new Set(placed(s).map(a => a.value.specHash))
    if (want !== undefined && (hashes.size !== 1 || !hashes.has(want))) throw new Error(`${image} (${versions.get(image)}): ended on ${[...hashes]}`)
    const end = rollout(s)!.state
    const expected = versions.get(image) === 'healthy' ? 'completed' : p.failureAction === 'rollback' ? 'rolled-back' : 'paused'
    if (end !== expected) throw new Error(`${image} (${versions.get(image)}): rollout ${end}, want ${expected}`)
  }), { numRuns: 200 })
  t.pass('200 rollouts')
})
