import t from 'tap'
import {
  applyPlan, conductorsReport, controls, host, input, instanceRecord, KEYS, manifest, placed, settle, statusOf,
} from './plan-fixtures.js'
import { planSchedule } from './plan-schedule.js'
import type { ScheduleInput } from './plan-types.js'

const nginx = (over: object = {}) => ({ image: 'nginx:1', scale: 1, services: { nginx: 80 }, ...over })
const where = (i: ScheduleInput) =>
  placed(i).map(a => `${a.app}/${a.name}/${a.index}@${a.host}`).sort()
const step = (i: ScheduleInput) => applyPlan(i, planSchedule(i))

t.test('a new manifest is placed on a live host and its status says Pending', async t => {
  const i = input({ hosts: [host('h1')], manifests: [manifest('dummy', 'nginx', nginx(), 7)] })
  const plan = planSchedule(i)
  t.same(plan.puts.map(p => p.key), ['/u/assign/h1/dummy/nginx/0'])
  t.same(plan.puts[0]!.value.spec.services, { nginx: { port: 80 } })
  t.equal(plan.puts[0]!.value.revision, 7)
  t.same(plan.deletes, [])
  t.equal(plan.statuses.length, 1)
  t.match(plan.statuses[0], {
    key: '/u/apps/dummy/nginx/status',
    status: { phase: 'Pending', desired: 1, running: 0, revision: 7, validRevision: 7, errors: [], problems: [], lastEvent: { message: 'placed instance 0 on h1' } },
  })
})

t.test('once the conductor reports running: Running, and nothing more to write', async t => {
  let i = input({ hosts: [host('h1')], manifests: [manifest('dummy', 'nginx', nginx())] })
  i = conductorsReport(step(i))
  const plan = planSchedule(i)
  t.same(plan.puts, [])
  t.match(plan.statuses[0]?.status, { phase: 'Running', desired: 1, running: 1, lastEvent: { message: 'all 1 instance running' } })
  i = applyPlan(i, plan)
  const again = planSchedule(i)
  t.same([again.puts, again.deletes, again.statuses], [[], [], []], 'a settled cluster writes nothing')
})

t.test('scale 3 over 2 hosts spreads; scale back to 1 removes the highest indexes', async t => {
  let i = input({ hosts: [host('h1'), host('h2')], manifests: [manifest('a', 'web', nginx({ scale: 3 }))] })
  i = settle(i, planSchedule).state
  t.same(where(i), ['a/web/0@h1', 'a/web/1@h2', 'a/web/2@h1'])
  t.match(statusOf(i, 'a', 'web'), { phase: 'Running', desired: 3, running: 3 })
  i = { ...i, manifests: [manifest('a', 'web', nginx({ scale: 1 }), 11)] }
  const plan = planSchedule(i)
  t.same(plan.deletes.sort(), ['/u/assign/h1/a/web/2', '/u/assign/h2/a/web/1'])
  t.same(plan.events.map(e => e.index), [2, 1], 'highest index first')
  t.same(plan.puts, [], 'the kept instance is not rewritten')
  i = settle(applyPlan(i, plan), planSchedule).state
  t.same(where(i), ['a/web/0@h1'])
  t.match(statusOf(i, 'a', 'web'), { phase: 'Running', desired: 1, running: 1, revision: 11 })
})

t.test('deleting the manifest deletes its assignments and its status', async t => {
  let i = input({ hosts: [host('h1')], manifests: [manifest('a', 'web', nginx({ scale: 2 }))] })
  i = settle(i, planSchedule).state
  i = { ...i, manifests: [] }
  const plan = planSchedule(i)
  t.same(plan.deletes.sort(), ['/u/apps/a/web/status', '/u/assign/h1/a/web/0', '/u/assign/h1/a/web/1'])
  t.same(plan.puts, [])
  t.same(plan.statuses, [])
})

t.test('an invalid manifest: status lists errors with paths, assignments stay as they are', async t => {
  let i = input({ hosts: [host('h1')], manifests: [manifest('a', 'web', nginx({ scale: 2 }), 5)] })
  i = settle(i, planSchedule).state
  const before = where(i)
  i = { ...i, manifests: [manifest('a', 'web', { image: 'nginx:2', scale: -1, colour: 'red' }, 9)] }
  const plan = planSchedule(i)
  t.same([plan.puts, plan.deletes], [[], []])
  const s = plan.statuses[0]!.status
  t.equal(s.phase, 'Invalid')
  t.same(s.errors.map(e => e.path).sort(), ['/colour', '/scale'])
  t.match(s, { revision: 9, validRevision: 5, desired: 2, running: 2 })
  t.match(s.lastEvent.message, 'manifest revision 9 is invalid (2 errors); revision 5 keeps running')
  i = applyPlan(i, plan)
  t.same(where(i), before)
  t.same(planSchedule(i).statuses, [], 'the same invalid manifest is not reported again')
})

t.test('bad JSON, never valid before: Invalid with nothing deployed', async t => {
  const i = input({ hosts: [host('h1')], manifests: [manifest('a', 'web', '{"image": ', 3)] })
  const plan = planSchedule(i)
  t.same(plan.puts, [])
  t.match(plan.statuses[0]?.status, {
    phase: 'Invalid', desired: 0, running: 0, errors: [{ path: '', message: /invalid JSON/ }],
    lastEvent: { message: 'manifest revision 3 is invalid (1 error); nothing deployed' },
  })
  t.notOk('validRevision' in plan.statuses[0]!.status)
})

t.test('a spec change rolls: one instance at a time, the next when it reports running', async t => {
  let i = input({ hosts: [host('h1'), host('h2')], manifests: [manifest('a', 'web', nginx({ scale: 3 }), 5)] })
  i = settle(i, planSchedule).state
  const oldHash = placed(i)[0]!.value.specHash
  i = { ...i, manifests: [manifest('a', 'web', nginx({ scale: 3, image: 'nginx:2' }), 6)] }
  let plan = planSchedule(i)
  t.equal(plan.puts.length, 1, 'one at a time')
  t.equal(plan.puts[0]!.key, '/u/assign/h1/a/web/0', 'in place, lowest index first')
  const newHash = plan.puts[0]!.value.specHash
  t.not(newHash, oldHash)
  t.match(plan.statuses[0]?.status, { phase: 'Pending', running: 0, specHash: newHash, lastEvent: { message: /rolling update: replacing instance 0 on h1/ } })
  i = applyPlan(i, plan)
  // The conductor is still pulling: nothing else moves.
  i = conductorsReport(i, 'pulling', a => a.value.specHash === newHash)
  plan = planSchedule(i)
  t.same(plan.puts, [], 'waits while the new instance is not running')
  i = conductorsReport(applyPlan(i, plan), 'running', a => a.value.specHash === newHash)
  plan = planSchedule(i)
  t.same(plan.puts.map(p => p.key), ['/u/assign/h2/a/web/1'])
  i = settle(applyPlan(i, plan), planSchedule).state
  t.same(placed(i).map(a => a.value.specHash), [newHash, newHash, newHash])
  t.match(statusOf(i, 'a', 'web'), { phase: 'Running', running: 3, validRevision: 6 })
})

t.test('a rollout that cannot make progress keeps the old instances running', async t => {
  let i = input({ hosts: [host('h1')], manifests: [manifest('a', 'web', nginx({ scale: 2 }), 5)] })
  i = settle(i, planSchedule).state
  i = { ...i, manifests: [manifest('a', 'web', nginx({ scale: 2, image: 'nosuch:1' }), 6)] }
  i = step(i)
  const [first] = placed(i).filter(a => a.index === 0)
  i = { ...i, instances: new Map(i.instances).set('a/web/0', instanceRecord('h1', first!.value.specHash, 'failed', { error: 'pull failed: not found' })) }
  const plan = planSchedule(i)
  t.same(plan.puts, [])
  t.match(plan.statuses[0]?.status, { phase: 'Degraded', running: 0, problems: ['instance 0 on h1: pull failed: not found'] })
})

t.test('a host that is gone: its instances move, same index, other host', async t => {
  let i = input({ hosts: [host('h1'), host('h2')], manifests: [manifest('a', 'web', nginx({ scale: 2 }))] })
  i = settle(i, planSchedule).state
  t.same(where(i), ['a/web/0@h1', 'a/web/1@h2'])
  i = { ...i, hosts: [host('h2')] }
  const plan = planSchedule(i)
  t.same(plan.deletes, ['/u/assign/h1/a/web/0'])
  t.same(plan.puts.map(p => p.key), ['/u/assign/h2/a/web/0'])
  t.match(plan.events, [{ index: 0, message: 'moved instance 0 from h1 (gone) to h2' }])
  i = settle(applyPlan(i, plan), planSchedule).state
  t.same(where(i), ['a/web/0@h2', 'a/web/1@h2'])
  // h1 comes back: it gets nothing back by itself.
  i = { ...i, hosts: [host('h1'), host('h2')] }
  t.same(planSchedule(i).puts, [])
})

t.test('nowhere to move: the assignment stays on the dead host and the status says why', async t => {
  let i = input({ hosts: [host('h1')], manifests: [manifest('a', 'web', nginx())] })
  i = settle(i, planSchedule).state
  i = { ...i, hosts: [] }
  const plan = planSchedule(i)
  t.same([plan.puts, plan.deletes], [[], []])
  t.match(plan.statuses[0]?.status, { phase: 'Failed', problems: ['instance 0: host h1 is gone and it cannot move: no live host'] })
})

t.test('control records: stop, pause, restart — manifest-wide and per instance', async t => {
  let i = input({ hosts: [host('h1')], manifests: [manifest('a', 'web', nginx({ scale: 3 }))] })
  i = settle(i, planSchedule).state
  i = { ...i, controls: controls({ 'a/web': { state: 'stopped', restartGeneration: 2, instances: { 1: { state: 'paused', restartGeneration: 1 } } } }) }
  const plan = planSchedule(i)
  const byIndex = new Map(plan.puts.map(p => [KEYS.parseAssignment(p.key)!.index, p.value]))
  t.match(byIndex.get(0), { run: 'stopped', restartGeneration: 2 })
  t.match(byIndex.get(1), { run: 'paused', restartGeneration: 3 })
  t.match(byIndex.get(2), { run: 'stopped', restartGeneration: 2 })
  t.equal(plan.statuses[0]?.status.phase, 'Stopped')
  t.equal(plan.statuses[0]?.status.desired, 0)
  i = applyPlan(i, plan)
  i = { ...i, controls: new Map() }
  const back = planSchedule(i)
  t.equal(back.puts.length, 3)
  t.ok(back.puts.every(p => p.value.run === undefined && p.value.restartGeneration === undefined), 'defaults leave the fields out')
})

t.test('constraints: placed only on matching hosts; a changed constraint moves instances one at a time', async t => {
  const hosts = [host('h1', { labels: { zone: 'eu' } }), host('h2', { labels: { zone: 'us' } }), host('h3', { labels: { zone: 'us' } })]
  let i = input({ hosts, manifests: [manifest('a', 'web', nginx({ scale: 2, constraints: { zone: 'eu' } }))] })
  i = settle(i, planSchedule).state
  t.same(where(i), ['a/web/0@h1', 'a/web/1@h1'])
  t.same(placed(i)[0]!.value.constraints, { zone: 'eu' })
  i = { ...i, manifests: [manifest('a', 'web', nginx({ scale: 2, constraints: { zone: 'us' } }), 12)] }
  const plan = planSchedule(i)
  t.same(plan.deletes, ['/u/assign/h1/a/web/0'])
  t.same(plan.puts.map(p => p.key), ['/u/assign/h2/a/web/0'], 'the waiting instance is left alone')
  i = settle(applyPlan(i, plan), planSchedule).state
  t.same(where(i), ['a/web/0@h2', 'a/web/1@h3'])
})

t.test('unschedulable instances are problems in the status', async t => {
  const i = input({ hosts: [host('h1', { cpus: 2 })], manifests: [manifest('a', 'big', nginx({ scale: 3, resources: { cpus: 1 } }))] })
  const { state } = settle(i, planSchedule)
  t.same(where(state), ['a/big/0@h1', 'a/big/1@h1'])
  t.match(statusOf(state, 'a', 'big'), {
    phase: 'Degraded', desired: 3, running: 2,
    problems: ['instance 2: unschedulable: no host has room for 1 cpus (h1 has 0 cpus and 8g free)'],
  })
  const none = settle(input({ hosts: [host('h1')], manifests: [manifest('a', 'x', nginx({ constraints: { gpu: 'yes' } }))] }), planSchedule).state
  t.match(statusOf(none, 'a', 'x'), { phase: 'Failed', problems: ['instance 0: unschedulable: no live host has the labels gpu=yes'] })
})

t.test('links to services nobody provides yet are problems', async t => {
  const i = input({
    hosts: [host('h1')],
    manifests: [
      manifest('a', 'crawler', { image: 'c', links: ['nginx', 'db', 'cache.other'] }),
      manifest('a', 'nginx', nginx()),
      manifest('other', 'db', { image: 'd', services: { db: 5432 } }),
    ],
  })
  const { state } = settle(i, planSchedule)
  t.same(statusOf(state, 'a', 'crawler')?.problems, [
    'link "db": no manifest provides service "db" in app "a" yet',
    'link "cache.other": no manifest provides service "cache" in app "other" yet',
  ])
  t.equal(statusOf(state, 'a', 'crawler')?.phase, 'Degraded')
})

t.test('two assignments for one index: the one on a live host that answers stays', async t => {
  let i = input({ hosts: [host('h1'), host('h2')], manifests: [manifest('a', 'web', nginx())] })
  i = settle(i, planSchedule).state
  const a = placed(i)[0]!
  i = { ...i, assignments: [...i.assignments, { ...a, host: 'h2' }] }
  t.same(planSchedule(i).deletes, ['/u/assign/h2/a/web/0'])
  const broken = { ...i, assignments: [{ host: 'h2', app: 'a', name: 'web', index: 0, value: undefined }] }
  const plan = planSchedule(broken)
  t.same(plan.puts.map(p => p.key), ['/u/assign/h1/a/web/0'])
  t.same(plan.deletes, ['/u/assign/h2/a/web/0'])
})

t.test('while invalid, instances of a dead host still move, with the spec and constraints they carry', async t => {
  const hosts = [host('h1', { labels: { zone: 'eu' } }), host('h2', { labels: { zone: 'eu' } }), host('h3', { labels: { zone: 'us' } })]
  let i = input({ hosts, manifests: [manifest('a', 'web', nginx({ constraints: { zone: 'eu' } }), 5)] })
  i = settle(i, planSchedule).state
  const deployed = placed(i)[0]!.value
  i = { ...i, hosts: [hosts[1]!, hosts[2]!], manifests: [manifest('a', 'web', '{', 8)] }
  const plan = planSchedule(i)
  t.same(plan.deletes, ['/u/assign/h1/a/web/0'])
  t.same(plan.puts.map(p => p.key), ['/u/assign/h2/a/web/0'])
  t.same(plan.puts[0]!.value, deployed)
  t.equal(plan.statuses[0]?.status.phase, 'Invalid')
})

t.test('host networking only where the cluster policy allows it', async t => {
  const m = manifest('a', 'net', nginx({ dockerflags: { NetworkMode: 'host' } }))
  const denied = planSchedule(input({ hosts: [host('h1')], manifests: [m] }))
  t.match(denied.statuses[0]?.status, { phase: 'Invalid', errors: [{ path: '/dockerflags/NetworkMode' }] })
  const allowed = planSchedule(input({ hosts: [host('h1')], manifests: [m], policy: { allowHostNetwork: true } }))
  t.equal(allowed.puts.length, 1)
})

t.test('a resources change that no longer fits in place moves the instance', async t => {
  let i = input({ hosts: [host('h1', { cpus: 2 }), host('h2', { cpus: 4 })], manifests: [manifest('a', 'web', nginx({ resources: { cpus: 1 } }))] })
  i = settle(i, planSchedule).state
  t.same(where(i), ['a/web/0@h1'])
  i = { ...i, manifests: [manifest('a', 'web', nginx({ resources: { cpus: 3 } }), 20)] }
  const plan = planSchedule(i)
  t.same(plan.deletes, ['/u/assign/h1/a/web/0'])
  t.same(plan.puts.map(p => p.key), ['/u/assign/h2/a/web/0'])
  t.match(plan.events[0]?.message, /moving instance 0 from h1 to h2 \(no room for the new spec there\)/)
})

t.test('scale 0 is Stopped; the status of a settled app is not rewritten', async t => {
  let i = input({ hosts: [host('h1')], manifests: [manifest('a', 'web', nginx({ scale: 0 }))] })
  i = settle(i, planSchedule).state
  t.match(statusOf(i, 'a', 'web'), { phase: 'Stopped', desired: 0, running: 0 })
  t.same(planSchedule({ ...i, now: i.now + 60_000 }).statuses, [])
})
