// Model-based property test: a random cluster history (manifests changed, hosts dying
// and returning, conductors reporting or not) driven through the planner, with the
// scheduler's promises checked after every plan.
import fc from 'fast-check'
import t from 'tap'
import { namedVolumes, type HostRecord, type InstanceRecord } from '../../schemas/index.js'
import { isReady } from './plan-manifest.js'
import { applyPlan, host, input, instanceRecord, KEYS, manifest, placed, GiB } from './plan-fixtures.js'
import { capacity, matchesConstraints } from './placement.js'
import { planSchedule } from './plan-schedule.js'
import { instanceId, type ScheduleInput, type SchedulePlan } from './plan-types.js'
import { needOf } from './resources.js'

const HOSTS = ['h1', 'h2', 'h3', 'h4']
const NAMES = ['m0', 'm1', 'm2']

const arbHost = (id: string): fc.Arbitrary<HostRecord> => fc.record({
  zone: fc.constantFrom('eu', 'us'), cpus: fc.constantFrom(1, 2, 4), memory: fc.constantFrom(1, 4),
}).map(h => host(id, { labels: { zone: h.zone }, cpus: h.cpus, memory: h.memory * GiB }))

const arbDoc = fc.oneof(
  { weight: 8, arbitrary: fc.record({
    image: fc.constantFrom('img:1', 'img:2', 'img:3'),
    scale: fc.integer({ min: 0, max: 5 }),
    constraints: fc.option(fc.record({ zone: fc.constantFrom('eu', 'us') }), { nil: undefined }),
    resources: fc.option(fc.record({ cpus: fc.constantFrom(0.5, 1), memory: fc.constantFrom('256m', '1g') }), { nil: undefined }),
    volumes: fc.option(fc.constantFrom({ data: '/d' }, { data: '/d', logs: '/l' }, { cfg: { path: '/c', readOnly: true } }), { nil: undefined }),
    volumeFailover: fc.option(fc.constantFrom('pin', 'recreate'), { nil: undefined }),
  }).map(d => JSON.stringify(d)) },
  { weight: 1, arbitrary: fc.constant('{"image": 1, "scale": -1}') },
)

type Action =
  | { kind: 'manifest'; name: string; text: string }
  | { kind: 'delete'; name: string }
  | { kind: 'kill'; host: string }
  | { kind: 'revive'; host: HostRecord }
  | { kind: 'report'; ready: boolean[] }

const arbAction: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('manifest' as const), name: fc.constantFrom(...NAMES), text: arbDoc }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), name: fc.constantFrom(...NAMES) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('kill' as const), host: fc.constantFrom(...HOSTS) }) },
  { weight: 1, arbitrary: fc.constantFrom(...HOSTS).chain(id => arbHost(id)).map(h => ({ kind: 'revive' as const, host: h })) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('report' as const), ready: fc.array(fc.boolean(), { minLength: 20, maxLength: 20 }) }) },
)

let revision = 100

function act(s: ScheduleInput, a: Action): ScheduleInput {
  switch (a.kind) {
    case 'manifest':
      return { ...s, manifests: [...s.manifests.filter(m => m.name !== a.name), manifest('app', a.name, a.text, ++revision)] }
    case 'delete':
      return { ...s, manifests: s.manifests.filter(m => m.name !== a.name) }
    case 'kill': {
      // The lease expires: the host record and its instance records vanish.
      const instances = new Map([...s.instances].filter(([, r]) => r.host !== a.host))
      return { ...s, hosts: s.hosts.filter(h => h.id !== a.host), instances }
    }
    case 'revive':
      return s.hosts.some(h => h.id === a.host.id) ? s : { ...s, hosts: [...s.hosts, a.host] }
    case 'report': {
      const live = new Set(s.hosts.map(h => h.id))
      const instances = new Map<string, InstanceRecord>(s.instances)
      placed(s).forEach((p, n) => {
        if (!live.has(p.host)) return
        instances.set(instanceId(p), instanceRecord(p.host, p.value.specHash, a.ready[n % a.ready.length] ? 'running' : 'creating'))
      })
      return { ...s, instances }
    }
  }
}

interface Doc { scale: number; constraints?: Record<string, string>; resources?: object; volumes?: object; volumeFailover?: string }

function validDoc(s: ScheduleInput, name: string): Doc | undefined {
  const m = s.manifests.find(x => x.name === name)
  if (!m) return undefined
  const d = JSON.parse(m.text) as Doc & { image: unknown }
  return typeof d.image === 'string' ? d : undefined
}

// Volume homes: an index with a home is only ever placed there, but for "recreate" once
// its home host is gone; an assigned index with named volumes always has a home; homes are
// never deleted.
function checkHomes(before: ScheduleInput, plan: SchedulePlan, after: ScheduleInput): void {
  const live = new Set(before.hosts.map(h => h.id))
  for (const p of plan.puts) {
    const ref = KEYS.parseAssignment(p.key)!
    const home = before.volumeHomes?.get(instanceId(ref))
    if (!home || namedVolumes(p.value.spec).length === 0 || home.host === ref.host) continue
    const recreate = validDoc(before, ref.name)?.volumeFailover === 'recreate'
    if (live.has(home.host) || !recreate) throw new Error(`${p.key}: placed away from its home ${home.host} (${live.has(home.host) ? 'up' : 'down'})`)
  }
  if (plan.deletes.some(k => KEYS.parseVolumeHome(k))) throw new Error('a volume home deleted')
  for (const a of placed(after)) {
    if (namedVolumes(a.value.spec).length > 0 && !after.volumeHomes?.has(instanceId(a))) throw new Error(`${KEYS.assignment(a.host, a)}: no home`)
  }
}

function check(before: ScheduleInput, plan: SchedulePlan, after: ScheduleInput): void {
  const live = new Map(before.hosts.map(h => [h.id, h]))
  for (const p of plan.puts) {
    const ref = KEYS.parseAssignment(p.key)!
    const h = live.get(ref.host)
    if (!h) throw new Error(`assigned to dead host: ${p.key}`)
    if (!matchesConstraints(h, p.value.constraints ?? {})) throw new Error(`assigned against constraints: ${p.key}`)
  }
  const prior = new Map(placed(before).map(a => [KEYS.assignment(a.host, a), a]))
  for (const p of plan.puts) {
    if (prior.has(p.key)) continue
    const doc = validDoc(before, KEYS.parseAssignment(p.key)!.name)
    if (doc && !matchesConstraints(live.get(KEYS.parseAssignment(p.key)!.host)!, doc.constraints ?? {})) {
      throw new Error(`new placement against the manifest's constraints: ${p.key}`)
    }
  }
  for (const name of NAMES) {
    const mine = placed(after).filter(a => a.name === name)
    const indexes = mine.map(a => a.index)
    if (new Set(indexes).size !== indexes.length) throw new Error(`index assigned twice in ${name}: ${indexes}`)
    const doc = validDoc(before, name)
    if (!before.manifests.some(m => m.name === name) && mine.length > 0) throw new Error(`deleted manifest ${name} still assigned`)
    if (!doc) continue
    if (mine.length > doc.scale || indexes.some(i => i >= doc.scale)) throw new Error(`more than scale ${doc.scale} in ${name}: ${indexes}`)
    // (An index whose volumes are on a dead host waits for it: it may be missing.)
    if (!doc.constraints && !doc.resources && !doc.volumes && before.hosts.length > 0) {
      const want = Array.from({ length: doc.scale }, (_, i) => i).join()
      if ([...indexes].sort((a, b) => a - b).join() !== want) throw new Error(`${name}: indexes ${indexes}, want ${want}`)
    }
    // Rolling: at most one instance replaced per plan, none while a new one is not answering.
    // The spec rolled out: that of a put that changes an index's spec (a put may also only
    // rewrite an old spec's fields, as `order` when the volumes change).
    const target = plan.puts.map(p => ({ p, ref: KEYS.parseAssignment(p.key)! })).filter(x => x.ref.name === name)
      .find(x => placed(before).find(b => b.name === name && b.index === x.ref.index)?.value.specHash !== x.p.value.specHash)?.p.value.specHash
    const replaced = placed(before).filter(a => a.name === name && live.has(a.host) && a.index < doc.scale)
      .filter(a => {
        const now = placed(after).find(b => b.name === name && b.index === a.index)
        return now && (now.host !== a.host || now.value.specHash !== a.value.specHash)
      })
    if (replaced.length > 1) throw new Error(`${name}: ${replaced.length} instances replaced at once`)
    if (replaced.length === 1 && target) {
      // Only instances the manifest keeps gate the rollout: one past the scale is being removed.
      const waiting = placed(before).filter(a => a.name === name && live.has(a.host) && a.index < doc.scale && a.value.specHash === target
        && !isReady(a, before.instances.get(instanceId(a))))
      if (waiting.length > 0) throw new Error(`${name}: replaced while instance ${waiting[0]!.index} of the new spec is not running`)
    }
  }
  // Nothing new lands on a host without room for it. (A host may come back smaller than
  // what is still assigned to it: that is not the plan's doing, as long as it adds nothing.)
  const loadOn = (i: ScheduleInput, id: string) => placed(i).filter(a => a.host === id)
    .reduce((n, a) => ({ cpus: n.cpus + needOf(a.value.spec).cpus, memory: n.memory + needOf(a.value.spec).memory }), { cpus: 0, memory: 0 })
  for (const h of after.hosts) {
    const { cpus, memory } = loadOn(after, h.id)
    const was = loadOn(before, h.id)
    const grew = cpus > was.cpus + 1e-9 || memory > was.memory
    if (grew && (cpus > capacity(h).cpus + 1e-9 || memory > capacity(h).memory)) throw new Error(`${h.id} overcommitted: ${cpus} cpus, ${memory} bytes`)
  }
}

t.test('the scheduler keeps its promises over random cluster histories', async t => {
  fc.assert(fc.property(
    fc.tuple(...HOSTS.slice(0, 3).map(arbHost)), fc.array(arbAction, { minLength: 1, maxLength: 40 }),
    (hosts, actions) => {
      let s = input({ hosts })
      for (const a of actions) {
        s = act(s, a)
        const plan = planSchedule(s)
        const next = applyPlan(s, plan)
        check(s, plan, next)
        checkHomes(s, plan, next)
        s = next
      }
    },
  ), { numRuns: 300 })
  t.pass('300 histories')
})

t.test('a settled cluster plans nothing, and planning is deterministic', async t => {
  fc.assert(fc.property(
    fc.tuple(...HOSTS.slice(0, 3).map(arbHost)), fc.array(arbAction, { minLength: 1, maxLength: 20 }),
    (hosts, actions) => {
      let s = input({ hosts })
      for (const a of actions) s = applyPlan(act(s, a), planSchedule(act(s, a)))
      const p1 = planSchedule(s)
      if (JSON.stringify(p1) !== JSON.stringify(planSchedule(s))) throw new Error('two plans of one input differ')
      const s2 = applyPlan(s, p1)
      const p2 = planSchedule(s2)
      // Applying a plan may open the rolling gate or free room, but never undoes itself.
      for (const d of p2.deletes) if (p1.puts.some(p => p.key === d)) throw new Error(`put then deleted: ${d}`)
    },
  ), { numRuns: 200 })
  t.pass('200 histories')
})
