// The scheduler is the only writer of /ports: every service that runs or is linked to
// gets one stable port in the plan that first needs it, and every assignment carries the
// ports of its spec's links (the container's SERVICE_<X>_PORT).
import t from 'tap'
import { applyPlan, host, input, manifest, settle, statusOf } from './plan-fixtures.js'
import { planSchedule } from './plan-schedule.js'

const crawler = { image: 'c', links: ['nginx', 'db.other'] }
const nginx = { image: 'nginx', services: { nginx: 80 } }
const db = { image: 'd', services: { db: 5432 } }

t.test('services and link targets get the lowest free ports; assignments carry their links\' ports', async t => {
  const i = input({
    hosts: [host('h1')], portRange: { from: 20000, to: 20099 },
    manifests: [manifest('a', 'crawler', crawler), manifest('a', 'nginx', nginx), manifest('other', 'db', db)],
  })
  const plan = planSchedule(i)
  t.same(plan.ports, [
    { app: 'a', service: 'nginx', port: 20000 },
    { app: 'other', service: 'db', port: 20001 },
  ])
  const put = plan.puts.find(p => p.key.endsWith('/a/crawler/0'))!
  t.same(put.value.linkPorts, { nginx: 20000, 'db.other': 20001 })
  t.equal(plan.puts.find(p => p.key.endsWith('/a/nginx/0'))!.value.linkPorts, undefined, 'no links, no field')
})

t.test('a port, once allocated, never changes and is never allocated again', async t => {
  const i = input({ hosts: [host('h1')], manifests: [manifest('a', 'crawler', crawler)] })
  const { state } = settle(i, planSchedule)
  t.same([...state.ports!.entries()].sort(), [['a/nginx', 20000], ['other/db', 20001]])
  const again = planSchedule(state)
  t.same(again.ports, [], 'nothing more to claim')
  const more = planSchedule({ ...state, manifests: [...state.manifests, manifest('b', 'web', nginx)] })
  t.same(more.ports, [{ app: 'b', service: 'nginx', port: 20002 }])
})

t.test('ports held by anyone (owner keys, junk included) are skipped', async t => {
  const i = input({
    hosts: [host('h1')], manifests: [manifest('a', 'nginx', nginx)],
    ports: new Map([['x/y', 20000]]), takenPorts: new Set([20000, 20001]),
  })
  t.same(planSchedule(i).ports, [{ app: 'a', service: 'nginx', port: 20002 }])
})

t.test('a full range: the status says which service and how to fix it; the link gets no port', async t => {
  const i = input({
    hosts: [host('h1')], portRange: { from: 20000, to: 20000 },
    manifests: [manifest('a', 'crawler', crawler)],
  })
  const plan = planSchedule(i)
  t.same(plan.ports, [{ app: 'a', service: 'nginx', port: 20000 }])
  t.same(plan.puts[0]!.value.linkPorts, { nginx: 20000 })
  const state = applyPlan(i, plan)
  t.match(statusOf(state, 'a', 'crawler')?.problems, ['service other/db: no free proxy port left in 20000-20000; widen --port-range'])
})

t.test('an assignment written before ports were carried gets them, with its spec unchanged', async t => {
  const i = input({ hosts: [host('h1')], manifests: [manifest('a', 'crawler', crawler)] })
  const { state } = settle(i, planSchedule)
  const old = state.assignments.map(a => {
    const { linkPorts: _drop, ...rest } = a.value!
    return { ...a, value: rest }
  })
  const plan = planSchedule({ ...state, assignments: old })
  t.equal(plan.puts.length, 1)
  t.same(plan.puts[0]!.value.linkPorts, { nginx: 20000, 'db.other': 20001 })
  t.equal(plan.puts[0]!.value.specHash, state.assignments[0]!.value!.specHash)
})

t.test('a deleted or scaled-to-0 manifest claims nothing', async t => {
  const i = input({ hosts: [host('h1')], manifests: [manifest('a', 'crawler', { ...crawler, scale: 0 }), manifest('a', 'web', { ...nginx, scale: 0 })] })
  t.same(planSchedule(i).ports, [])
})
