// The planner's issue-#8 rules as table tests: names from the key, limits, links into
// other users' apps, quotas in create order, and statuses that stay small whatever the
// input.
import t from 'tap'
import { applyPlan, conductorsReport, host, input, instanceRecord, manifest, placed, statusOf } from './plan-fixtures.js'
import { planSchedule } from './plan-schedule.js'
import type { ManifestInput, ScheduleInput } from './plan-types.js'
import { MAX_STATUS_ENTRIES, MAX_STATUS_TEXT } from './status.js'

const web = (over: object = {}) => ({ image: 'dokkaa/busybox:test', scale: 1, services: { web: 80 }, ...over })
const step = (i: ScheduleInput) => applyPlan(i, planSchedule(i))
const where = (i: ScheduleInput) => placed(i).map(a => `${a.app}/${a.name}/${a.index}`).sort()
const owned = (m: ManifestInput, createRevision: number): ManifestInput => ({ ...m, createRevision })

t.test('a manifest key with an invalid app or name is never placed; its status says why', async t => {
  const i = input({
    hosts: [host('h1')],
    manifests: [manifest('VICTIM', 'web', web()), manifest('a--b', 'web', web()), manifest('victim', 'Web', web()), manifest('victim', 'web', web())],
  })
  const plan = planSchedule(i)
  t.same(plan.puts.map(p => p.key), ['/u/assign/h1/victim/web/0'], 'only the valid one is placed')
  const after = applyPlan(i, plan)
  t.match(statusOf(after, 'VICTIM', 'web'), { phase: 'Invalid', errors: [{ path: '/app', message: /app "VICTIM" is not allowed: use a lowercase DNS label/ }] })
  t.match(statusOf(after, 'a--b', 'web'), { phase: 'Invalid', errors: [{ path: '/app', message: /no "--"/ }] })
  t.match(statusOf(after, 'victim', 'Web'), { phase: 'Invalid', errors: [{ path: '/name' }] })
})

t.test('a nested or oversized manifest is Invalid with the limit; policy limits tighten', async t => {
  const deep = `{"image":"x","env":${'['.repeat(5000)}${']'.repeat(5000)}}`
  const big = JSON.stringify(web({ env: { BIG: 'x'.repeat(70 * 1024) } }))
  const small = JSON.stringify(web({ env: { A: 'x'.repeat(2000) } }))
  const i = input({ hosts: [host('h1')], manifests: [manifest('a', 'deep', deep), manifest('a', 'big', big), manifest('a', 'small', small)] })
  let after = step(i)
  t.match(statusOf(after, 'a', 'deep'), { phase: 'Invalid', errors: [{ message: 'the manifest nests deeper than 8 levels (limits.depth)' }] })
  t.match(statusOf(after, 'a', 'big'), { phase: 'Invalid', errors: [{ message: /the limit is 65536 \(limits\.bytes\)/ }] })
  t.same(where(after), ['a/small/0'])
  after = step({ ...after, policy: { limits: { bytes: 1024 } } })
  t.match(statusOf(after, 'a', 'small'), { phase: 'Invalid', errors: [{ message: /the limit is 1024/ }], lastEvent: { message: /keeps running/ } })
  t.same(where(after), ['a/small/0'], 'what was deployed keeps running')
})

t.test('links: only into apps of the same owner; root links anywhere', async t => {
  const owners = new Map([['shop', 'alice'], ['db', 'bob'], ['cache', 'alice']])
  const i = input({
    hosts: [host('h1')], owners,
    manifests: [
      manifest('shop', 'front', web({ links: ['pg.db', 'redis.cache', 'api'] })),
      manifest('shop', 'ok', web({ links: ['redis.cache'] })),
      manifest('admin', 'tool', web({ links: ['pg.db'] })),
      manifest('cache', 'redis', web({ services: { redis: 6379 } })),
    ],
  })
  const after = step(i)
  t.match(statusOf(after, 'shop', 'front'), {
    phase: 'Invalid',
    errors: [{ path: '/links/0', message: 'link "pg.db": app "db" is not yours; you may link only to services of your own apps (service "pg")' }],
  })
  t.same(where(after), ['admin/tool/0', 'cache/redis/0', 'shop/ok/0'], 'root\'s app (no owner record) links anywhere; own apps are fine')
})

t.test('quotas: the newest manifests over the quota are refused, in create order; root exempt', async t => {
  const policy = { quotas: { default: { instances: 3 }, users: { carol: { manifests: 1 } } } }
  const owners = new Map([['a1', 'alice'], ['a2', 'alice'], ['c1', 'carol'], ['r1', 'root']])
  const i = input({
    hosts: [host('h1')], owners, policy,
    manifests: [
      owned(manifest('a2', 'new', web({ scale: 2 })), 30), // created last, sorts first by name
      owned(manifest('a1', 'old', web({ scale: 2 })), 10),
      owned(manifest('a1', 'zero', web({ scale: 0 })), 20),
      owned(manifest('c1', 'one', web()), 5),
      owned(manifest('c1', 'two', web()), 6),
      owned(manifest('r1', 'big', web({ scale: 5 })), 1),
    ],
  })
  const after = step(i)
  t.same(where(after), ['a1/old/0', 'a1/old/1', 'c1/one/0', 'r1/big/0', 'r1/big/1', 'r1/big/2', 'r1/big/3', 'r1/big/4'])
  t.match(statusOf(after, 'a2', 'new'), {
    phase: 'Invalid', errors: [{ path: '', message: 'quota exceeded: user "alice" would have 4 instances; quota instances is 3 (ask an operator to raise quotas in /config/policy)' }],
  })
  t.match(statusOf(after, 'c1', 'two'), { phase: 'Invalid', errors: [{ message: /user "carol" would have 2 manifests; quota manifests is 1/ }] })
  t.equal(statusOf(after, 'a1', 'zero')?.phase, 'Stopped', 'scale 0 fits')

  // Scaling the old one up past the quota: refused, what runs keeps running.
  const scaled = step(conductorsReport({ ...after, manifests: after.manifests.map(m => m.name === 'old' ? owned(manifest('a1', 'old', web({ scale: 5 }), 40), 10) : m) }))
  t.same(where(scaled).filter(w => w.startsWith('a1/old')), ['a1/old/0', 'a1/old/1'], 'not scaled past the quota')
  t.match(statusOf(scaled, 'a1', 'old'), { phase: 'Invalid', errors: [{ message: /would have 5 instances/ }] })
})

t.test('a memory quota asks for resources.memory and sums scale × memory', async t => {
  const policy = { quotas: { default: { memory: '1g' } } }
  const owners = new Map([['m', 'mia']])
  const after = step(input({
    hosts: [host('h1')], owners, policy,
    manifests: [
      owned(manifest('m', 'sized', web({ scale: 2, resources: { memory: '512m' } })), 1),
      owned(manifest('m', 'more', web({ resources: { memory: '1m' } })), 2),
      owned(manifest('m', 'unsized', web()), 3),
    ],
  }))
  t.same(where(after), ['m/sized/0', 'm/sized/1'])
  t.match(statusOf(after, 'm', 'more'), { errors: [{ message: /would have 1g of memory|would have 1\.\d+g of memory/ }] })
  t.match(statusOf(after, 'm', 'unsized'), { errors: [{ path: '/resources/memory', message: /resources\.memory is required/ }] })
})

t.test('statuses stay small: at most 20 errors and problems, each cut', async t => {
  const fields = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`f${i}`, i]))
  const i = input({
    hosts: [host('h1')],
    manifests: [manifest('a', 'many', { image: 'x', ...fields }), manifest('a', 'huge', web())],
  })
  let after = step(i)
  const many = statusOf(after, 'a', 'many')!
  t.equal(many.errors.length, MAX_STATUS_ENTRIES + 1)
  t.match(many.errors[MAX_STATUS_ENTRIES], { message: 'and 480 more errors' })
  t.match(many.lastEvent.message, /invalid \(500 errors\)/)
  // An instance record carrying a megabyte of "error".
  const a = placed(after).find(p => p.name === 'huge')!
  const instances = new Map(after.instances)
  instances.set('a/huge/0', instanceRecord('h1', a.value.specHash, 'failed', { error: 'e'.repeat(1024 * 1024) }))
  after = step({ ...after, instances })
  const huge = statusOf(after, 'a', 'huge')!
  t.ok(huge.problems[0]!.length <= MAX_STATUS_TEXT + 1, 'the problem is cut')
  t.ok(JSON.stringify(huge).length < 10_000, 'the status stays small')
  t.same(planSchedule(after).statuses, [], 'and, read back, is not rewritten')
})

t.test('a live host with an unreadable record takes no instances; those on it move off one at a time', async t => {
  const i = input({ hosts: [host('h1'), host('junk')], unplaceable: new Set(['junk']), manifests: [manifest('a', 'web', web({ scale: 2 }))] })
  const after = step(i)
  t.same(placed(after).map(p => `${p.index}@${p.host}`), ['0@h1', '1@h1'], 'nothing placed on the junk host')
  // Instances already there (the record turned unreadable later) move, like a constraints change.
  const on = step(conductorsReport(input({ hosts: [host('h1'), host('junk')], manifests: [manifest('a', 'web', web({ scale: 2 }))] })))
  const moved = step(conductorsReport({ ...on, unplaceable: new Set(['junk']) }))
  t.same(placed(moved).map(p => p.host).sort(), ['h1', 'h1'])
  t.match(statusOf(moved, 'a', 'web')?.lastEvent.message, /its host record is unreadable/)
})
