// Named volumes, as the planner sees them: the plan that first places an instance records
// its home (/volumes/<app>/<name>/<index>) with the assignment; from then on the index goes
// only there — through scale-down and up, delete and put again — and when that host is down
// it waits (pin), or starts elsewhere with empty volumes (recreate) and the status says so.
import { Writable } from 'node:stream'
import { pino, type Logger } from 'pino'
import t from 'tap'
import type { VolumeHomeRecord } from '../../schemas/index.js'
import { ClusterCache } from './cluster-cache.js'
import {
  applyPlan, conductorsReport, host, input, isIdle, KEYS, manifest, NOW, placed, settle, statusOf,
} from './plan-fixtures.js'
import { planSchedule } from './plan-schedule.js'
import type { ScheduleInput } from './plan-types.js'
import { readStatusRecord } from '../etcd-records.js'

const db = (over: object = {}) => ({ image: 'pg:16', scale: 1, volumes: { data: '/var/lib/postgresql' }, ...over })
const where = (i: ScheduleInput) => placed(i).map(a => `${a.index}@${a.host}`).sort()
const home = (i: ScheduleInput, index: number) => i.volumeHomes?.get(`a/db/${index}`)
const homeKey = (index: number) => `/u/volumes/a/db/${index}`
const down = (i: ScheduleInput, id: string): ScheduleInput => ({ ...i, hosts: i.hosts.filter(h => h.id !== id) })
const at = (ms: number) => new Date(ms).toISOString()

/** A cluster of `hosts` where a/db (scale `scale`) was placed and runs. */
function deployed(hosts: string[], doc: object = db()): ScheduleInput {
  return settle(input({ hosts: hosts.map(id => host(id)), manifests: [manifest('a', 'db', doc)] }), planSchedule).state
}

t.test('the first placement records each instance\'s home, in the plan that writes its assignment', async t => {
  const i = input({ hosts: [host('h1'), host('h2')], manifests: [manifest('a', 'db', db({ scale: 2 }))] })
  const plan = planSchedule(i)
  t.same(plan.puts.map(p => p.key).sort(), ['/u/assign/h1/a/db/0', '/u/assign/h2/a/db/1'])
  t.same(plan.homes, [
    { key: homeKey(0), value: { host: 'h1', since: at(NOW), volumes: ['data'] } },
    { key: homeKey(1), value: { host: 'h2', since: at(NOW), volumes: ['data'] } },
  ])
  const settled = settle(applyPlan(i, plan), planSchedule).state
  t.match(statusOf(settled, 'a', 'db'), { phase: 'Running', running: 2, problems: [] })
  t.notOk('warnings' in statusOf(settled, 'a', 'db')!, 'a status with nothing to warn of has no warnings field')
  t.ok(isIdle(planSchedule(settled)), 'homes are written once')

  const none = planSchedule(input({ hosts: [host('h1')], manifests: [manifest('a', 'web', { image: 'x' })] }))
  t.same(none.homes, [], 'no volumes, no home')
  const bind = planSchedule(input({
    hosts: [host('h1')], policy: { allowHostPaths: ['/srv'] },
    manifests: [manifest('a', 'web', { image: 'x', volumes: { logs: { path: '/logs', hostPath: '/srv/logs' } } })],
  }))
  t.equal(bind.puts.length, 1)
  t.same(bind.homes, [], 'a bind mount has no home: its host directory is every host\'s')
})

t.test('a home pins its index, even when another host is emptier', async t => {
  let i = deployed(['h1', 'h2'], db({ scale: 2 }))
  t.same(where(i), ['0@h1', '1@h2'])
  // Index 1's container is gone (its assignment deleted by hand): it comes back on h2, not on the empty h0.
  i = { ...i, hosts: [host('h0'), ...i.hosts], assignments: i.assignments.filter(a => a.index !== 1) }
  const plan = planSchedule(i)
  t.same(plan.puts.map(p => p.key), ['/u/assign/h2/a/db/1'])
  t.same(plan.homes, [], 'the home stays as it was')
  // A spec change is replaced in place (stop-first), never moved to the emptier host.
  i = settle(applyPlan(i, plan), planSchedule).state
  i = settle({ ...i, manifests: [manifest('a', 'db', db({ scale: 2, image: 'pg:17' }), 11)] }, planSchedule).state
  t.same(where(i), ['0@h1', '1@h2'])
  t.ok(placed(i).every(a => a.value.spec.image === 'pg:17'))
})

t.test('home host down, pin (the default): the instance waits, nothing is placed or rewritten', async t => {
  let i = deployed(['h1', 'h2'], db({ scale: 2 }))
  i = down(i, 'h2')
  const plan = planSchedule(i)
  t.same([plan.puts, plan.deletes, plan.homes], [[], [], []], 'the assignment stays on h2, nobody else starts the instance')
  const waits = 'instance 1 waits for its volumes (data) on host h2, which is down; set "volumeFailover": "recreate" to start it elsewhere with empty volumes'
  t.match(plan.statuses[0]?.status, { phase: 'Degraded', desired: 2, running: 1, problems: [waits] })
  i = conductorsReport(applyPlan(i, plan))
  t.ok(isIdle(planSchedule(i)), 'settled: the same status, not rewritten')

  // The only instance: nothing runs.
  const one = settle(down(deployed(['h1', 'h2']), 'h1'), planSchedule).state
  t.same(where(one), ['0@h1'])
  t.match(statusOf(one, 'a', 'db'), { phase: 'Failed', running: 0, problems: ['instance 0 waits for its volumes (data) on host h1, which is down; set "volumeFailover": "recreate" to start it elsewhere with empty volumes'] })
  // Scaled up while the home of an index is down: that index waits too (it was scaled away, so it is not assigned).
  let back = settle({ ...deployed(['h1', 'h2'], db({ scale: 2 })), manifests: [manifest('a', 'db', db({ scale: 1 }), 11)] }, planSchedule).state
  back = settle({ ...down(back, 'h2'), hosts: [host('h1'), host('h3')], manifests: [manifest('a', 'db', db({ scale: 2 }), 12)] }, planSchedule).state
  t.same(where(back), ['0@h1'], 'not placed on h3')
  t.match(statusOf(back, 'a', 'db')?.problems, [/^instance 1 waits for its volumes \(data\) on host h2, which is down/])

  // The host comes back: the instance carries on there, with its data.
  i = settle({ ...i, hosts: [host('h1'), host('h2')] }, planSchedule).state
  t.same(where(i), ['0@h1', '1@h2'])
  t.match(statusOf(i, 'a', 'db'), { phase: 'Running', problems: [] })
})

t.test('home host down, recreate: started elsewhere with empty volumes; the home moves and the status says where the data stayed', async t => {
  let i = deployed(['h1', 'h2'], db({ volumeFailover: 'recreate' }))
  t.same(where(i), ['0@h1'])
  i = { ...down(i, 'h1'), now: NOW + 60_000 }
  const plan = planSchedule(i)
  t.same(plan.deletes, ['/u/assign/h1/a/db/0'])
  t.same(plan.puts.map(p => p.key), ['/u/assign/h2/a/db/0'])
  t.same(plan.homes, [{ key: homeKey(0), value: { host: 'h2', since: at(NOW + 60_000), volumes: ['data'], recreatedFrom: 'h1' } }])
  const warning = 'instance 0 started on h2 with empty volumes (data); its data stays on h1'
  t.match(plan.statuses[0]?.status, { warnings: [warning], problems: [] })
  i = settle(applyPlan(i, plan), planSchedule).state
  t.match(statusOf(i, 'a', 'db'), { phase: 'Running', running: 1, problems: [], warnings: [warning] }, 'Running: no problem, but said')
  // The old host comes back: the instance stays where its new home is.
  i = settle({ ...i, hosts: [host('h1'), host('h2')] }, planSchedule).state
  t.same(where(i), ['0@h2'])
  t.same(home(i, 0), { host: 'h2', since: at(NOW + 60_000), volumes: ['data'], recreatedFrom: 'h1' })
  // Deleting the home key acknowledges it: recorded afresh where the instance runs, and the warning goes.
  i = settle({ ...i, volumeHomes: new Map() }, planSchedule).state
  t.same(home(i, 0), { host: 'h2', since: at(NOW + 60_000), volumes: ['data'] })
  t.notOk('warnings' in statusOf(i, 'a', 'db')!)
})

t.test('scale 2 -> 1 -> 2: the volumes stay, and the index goes back to its home', async t => {
  let i = deployed(['h1', 'h2'], db({ scale: 2 }))
  i = { ...i, manifests: [manifest('a', 'db', db({ scale: 1 }), 11)] }
  const plan = planSchedule(i)
  t.same(plan.deletes, ['/u/assign/h2/a/db/1'])
  t.same(plan.homes, [], 'the home is not deleted')
  i = settle(applyPlan(i, plan), planSchedule).state
  t.same(home(i, 1), { host: 'h2', since: at(NOW), volumes: ['data'] })
  // An empty host joins, first in id order: index 1 still goes home.
  i = settle({ ...i, hosts: [host('h0'), ...i.hosts], manifests: [manifest('a', 'db', db({ scale: 2 }), 12)] }, planSchedule).state
  t.same(where(i), ['0@h1', '1@h2'])
})

t.test('deleting the manifest keeps the homes; putting it again finds its data', async t => {
  let i = deployed(['h1', 'h2'], db({ scale: 2 }))
  i = { ...i, manifests: [] }
  const plan = planSchedule(i)
  t.same(plan.deletes.sort(), ['/u/apps/a/db/status', '/u/assign/h1/a/db/0', '/u/assign/h2/a/db/1'])
  t.same(plan.homes, [])
  i = applyPlan(i, plan)
  t.same([...i.volumeHomes!.keys()].sort(), ['a/db/0', 'a/db/1'])
  i = settle({ ...i, hosts: [host('h0'), ...i.hosts], manifests: [manifest('a', 'db', db({ scale: 2 }), 20)] }, planSchedule).state
  t.same(where(i), ['0@h1', '1@h2'])
})

t.test('a home host that is up but has no room: an assigned instance stays where it is, an unassigned one waits; the status names the host', async t => {
  const hosts = [host('h1', { labels: { hog: 'yes' } }), host('h2')]
  const hog = manifest('b', 'hog', { image: 'x', resources: { cpus: 2 }, constraints: { hog: 'yes' } })
  const mine = (i: ScheduleInput) => placed(i).filter(a => a.app === 'a').map(a => `${a.index}@${a.host}:${a.value.spec.resources?.cpus}`)
  let i = settle(input({ hosts, manifests: [manifest('a', 'db', db({ resources: { cpus: 1 } })), hog] }), planSchedule).state
  t.same(mine(i), ['0@h1:1'])
  // Three cpus no longer fit on h1 beside the hog; h2 has four free, but the data is on h1.
  i = settle({ ...i, manifests: [manifest('a', 'db', db({ resources: { cpus: 3 } }), 11), hog] }, planSchedule).state
  t.same(mine(i), ['0@h1:1'], 'the old version keeps running on h1')
  const noRoom = /its volumes \(data\) are on h1, which has no room for 3 cpus \(h1 has 2 cpus and 8g free\)$/
  t.match(statusOf(i, 'a', 'db'), { phase: 'Degraded', problems: [noRoom] })
  t.match(statusOf(i, 'a', 'db')?.problems[0], /^instance 0: cannot be updated: /)
  i = settle({ ...i, manifests: [manifest('a', 'db', db({ resources: { cpus: 3 }, scale: 0 }), 12), hog] }, planSchedule).state
  i = settle({ ...i, manifests: [manifest('a', 'db', db({ resources: { cpus: 3 } }), 13), hog] }, planSchedule).state
  t.same(mine(i), [], 'not placed on h2')
  t.match(statusOf(i, 'a', 'db'), { phase: 'Failed', problems: [/^instance 0: unschedulable: its volumes \(data\) are on h1, which has no room/] })
})

t.test('the home\'s volume list follows the spec; a spec without named volumes is not pinned', async t => {
  let i = deployed(['h1', 'h2'])
  i = settle({ ...i, manifests: [manifest('a', 'db', db({ volumes: { data: '/d', logs: '/l' } }), 11)] }, planSchedule).state
  t.same(home(i, 0), { host: 'h1', since: at(NOW), volumes: ['data', 'logs'] })
  i = settle({ ...i, manifests: [manifest('a', 'db', { image: 'pg:16' }, 12)] }, planSchedule).state
  i = settle(down(i, 'h1'), planSchedule).state
  t.same(where(i), ['0@h2'], 'no named volumes: moved off the dead host as any instance')
  t.same(home(i, 0), { host: 'h1', since: at(NOW), volumes: ['data', 'logs'] }, 'the home is kept for the data')
})

t.test('writable volumes replace stop-first, plain manifest or not', async t => {
  const orderOf = (doc: object) => planSchedule(input({ hosts: [host('h1')], manifests: [manifest('a', 'db', doc)] })).puts[0]!.value.order
  t.equal(orderOf(db()), 'stop-first', 'a plain manifest (no update, no health)')
  t.equal(orderOf(db({ update: { order: 'start-first' } })), 'stop-first', 'whatever update.order says')
  t.equal(orderOf(db({ volumes: { cfg: { path: '/etc/app', readOnly: true } } })), undefined, 'read-only volumes may run twice')
  t.equal(orderOf({ image: 'x' }), undefined)
  // The rolling update of a plain manifest carries it to every replacement.
  let i = deployed(['h1'], db({ scale: 2 }))
  i = { ...i, manifests: [manifest('a', 'db', db({ scale: 2, image: 'pg:17' }), 11)] }
  const plan = planSchedule(i)
  t.equal(plan.puts.length, 1, 'one at a time')
  t.match(plan.puts[0]!.value, { order: 'stop-first', spec: { image: 'pg:17' } })
})

t.test('a volume home of the wrong shape counts as none, is logged once, and is written anew', async t => {
  const lines: { msg: string; key?: string }[] = []
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(chunk.toString())); done() } })
  const cache = new ClusterCache(KEYS, pino({ level: 'debug' }, sink) as Logger)
  const kv = (value: unknown, modRevision: number) => ({ value: typeof value === 'string' ? value : JSON.stringify(value), modRevision })
  cache.put('/u/hosts/h1', kv({ id: 'h1', address: '10.0.0.1', labels: {}, cpus: 4, memory: 8e9, engineVersion: '20', startedAt: 'now' }, 2))
  cache.put('/u/apps/a/db/manifest', kv(db(), 3))
  const good: VolumeHomeRecord = { host: 'h1', since: 'then', volumes: ['data'] }
  cache.put(homeKey(1), kv(good, 4))
  for (const [n, junk] of ['nope', '{"host": 3}', '{"host": "../h", "since": "x", "volumes": []}'].entries()) cache.put(homeKey(0), kv(junk, 5 + n))
  cache.replacePrefix(KEYS.volumesRoot, new Map([[homeKey(0), kv('{"host": "../h", "since": "x", "volumes": []}', 7)], [homeKey(1), kv(good, 4)]]))
  const i = cache.toInput(NOW)
  t.same([...i.volumeHomes!], [['a/db/1', good]])
  t.equal(lines.filter(l => l.key === homeKey(0)).length, 3, 'one line per junk value, none again on a re-read')
  const plan = planSchedule(i)
  t.same(plan.homes, [{ key: homeKey(0), value: { host: 'h1', since: at(NOW), volumes: ['data'] } }], 'placed and recorded over the junk')
})

t.test('the status\'s warnings are read back as written (no rewrite on every pass)', async t => {
  const status = { phase: 'Running', desired: 1, running: 1, revision: 7, errors: [], problems: [], warnings: ['instance 0 started on h2 with empty volumes (data); its data stays on h1'], lastEvent: { at: 'now', message: 'm' }, updatedAt: 'now' }
  t.same(readStatusRecord(JSON.stringify(status)), status)
  const { warnings: _w, ...without } = status
  t.same(readStatusRecord(JSON.stringify({ ...status, warnings: [3] })), without, 'junk warnings dropped')
  t.equal(readStatusRecord('[]'), undefined)
})
