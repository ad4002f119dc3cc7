// The image digest pin as the planner keeps it: the first digest an instance of a spec
// reports is written into every assignment of that spec (no replacement: the spec hash
// stays), stays when the instances' records go, is carried as `previous` through a
// rollout, and a new spec starts without one until its own first instance reports.
import t from 'tap'
import { applyPlan, host, input, instanceRecord, manifest, placed, settle, type Placed } from './plan-fixtures.js'
import { planSchedule } from './plan-schedule.js'
import { instanceId, type ScheduleInput } from './plan-types.js'

const D1 = `sha256:${'1'.repeat(64)}`
const D2 = `sha256:${'2'.repeat(64)}`
const web = (version: string) => ({ image: 'registry.example:5000/shop/web:live', scale: 3, pull: 'always', env: { VERSION: version }, update: { parallelism: 1, monitor: '0s' } })

/** Conductors report their assignments running, with the digest `digest(a)` says (none: undefined). */
function report(i: ScheduleInput, digest: (a: Placed) => string | undefined): ScheduleInput {
  const instances = new Map(i.instances)
  for (const a of placed(i)) {
    const d = digest(a)
    instances.set(instanceId(a), instanceRecord(a.host, a.value.specHash, 'running', d ? { imageDigest: d } : {}))
  }
  return { ...i, instances }
}

function deployed(): ScheduleInput {
  return settle(input({ hosts: [host('h1'), host('h2'), host('h3')], manifests: [manifest('shop', 'web', web('1'))] }), planSchedule).state
}

t.test('the first digest reported pins every assignment of the spec, without replacing anything', async t => {
  let i = deployed()
  t.same(placed(i).map(a => a.value.imageDigest), [undefined, undefined, undefined], 'nothing is known before an instance runs')
  const hash = placed(i)[0]!.value.specHash
  // Instance 1 reports first; instance 2 (say, a pull a moment later) another digest.
  i = report(i, a => (a.index === 1 ? D1 : a.index === 2 ? D2 : undefined))
  const plan = planSchedule(i)
  t.same(plan.puts.map(p => p.value.imageDigest), [D1, D1, D1], 'the lowest-numbered report wins, for all')
  t.same(plan.puts.map(p => p.value.specHash), [hash, hash, hash], 'the same spec hash: no container is replaced')
  i = applyPlan(i, plan)
  // The records go (a cluster restart); the pin stays.
  i = { ...i, instances: new Map() }
  t.same(planSchedule(i).puts.map(p => p.value.imageDigest).filter(d => d !== D1), [], 'no write drops the pin')
  i = report(i, () => D2)
  t.same(planSchedule(i).puts, [], 'a pin once written is not changed by later reports')
})

t.test('a rollout: the new spec starts unpinned, its first instance pins the rest; previous keeps the old pin', async t => {
  let i = deployed()
  i = applyPlan(report(i, () => D1), planSchedule(report(i, () => D1)))
  i = { ...i, manifests: [manifest('shop', 'web', web('2'), 11)] }
  const step1 = planSchedule(i)
  t.equal(step1.puts.length, 1, 'one at a time')
  const first = step1.puts[0]!.value
  t.equal(first.imageDigest, undefined, 'the new spec has no digest yet: its conductor pulls the tag')
  t.equal(first.previous?.imageDigest, D1, 'what a rollback goes back to is the old digest')
  i = applyPlan(i, step1)
  const newHash = first.specHash
  i = report(i, a => (a.value.specHash === newHash ? D2 : D1))
  const step2 = planSchedule(i)
  const next = step2.puts.filter(p => p.value.specHash === newHash)
  t.ok(next.length >= 2, 'the pin goes to the new spec\'s assignments, the next step among them')
  t.same([...new Set(next.map(p => p.value.imageDigest))], [D2], 'all pinned to the digest the first one ran')
  const s = settle(applyPlan(i, step2), st => planSchedule(report(st, a => (a.value.specHash === newHash ? D2 : D1))))
  t.same(placed(s.state).map(a => [a.value.specHash, a.value.imageDigest]), [[newHash, D2], [newHash, D2], [newHash, D2]])
})

t.test('junk digests in records are never pinned', async t => {
  let i = deployed()
  i = report(i, () => 'sha256:nothex')
  t.same(planSchedule(i).puts, [])
})
