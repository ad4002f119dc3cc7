// Secrets and configs as the planner sees them: an assignment carries the current version
// and value of each one its spec names, and its hash covers the versions, so writing a new
// version rolls the instances (one at a time, like any spec change); a manifest naming one
// its app lacks is not placed and its status says how to create it; a rollback keeps the
// current values.
import t from 'tap'
import { assignedSpecHash, specHash, type ConfigRecord, type SecretRecord } from '../../schemas/index.js'
import {
  applyPlan, conductorsReport, host, input, isIdle, manifest, placed, runInTime, settle, statusOf,
} from './plan-fixtures.js'
import { planSchedule } from './plan-schedule.js'
import type { ScheduleInput } from './plan-types.js'

const sealed = (n: number) => ({ alg: 'aes-256-gcm' as const, keyId: '0123456789abcdef', iv: `aXY${n}`, tag: `dGFn${n}`, data: `ZGF0YQ${n}` })
const secret = (version: number): SecretRecord => ({ version, createdAt: 't', updatedAt: 't', sealed: sealed(version) })
const config = (version: number, data: string): ConfigRecord => ({ version, createdAt: 't', updatedAt: 't', data })
const web = (over: object = {}) => ({ image: 'shop:1', scale: 2, secrets: ['db-password'], configs: { '/etc/app/app.toml': 'app-config' }, ...over })
const records = (s: number, c: number) => ({
  secrets: new Map([['shop/db-password', secret(s)]]),
  configs: new Map([['shop/app-config', config(c, `port = ${c}`)]]),
})

function deployed(doc: object = web()): ScheduleInput {
  return settle(input({ hosts: [host('h1'), host('h2')], manifests: [manifest('shop', 'web', doc)], ...records(1, 1) }), planSchedule).state
}

t.test('the assignment carries the current versions and values; the hash covers the versions', async t => {
  const i = deployed()
  const [a] = placed(i)
  t.same(a!.value.secrets, { 'db-password': { version: 1, sealed: sealed(1) } })
  t.same(a!.value.configs, { 'app-config': { version: 1, data: 'port = 1' } })
  t.equal(a!.value.specHash, assignedSpecHash(a!.value.spec, { secrets: a!.value.secrets, configs: a!.value.configs }))
  t.not(a!.value.specHash, specHash(a!.value.spec), 'not the bare spec hash')
  t.match(statusOf(i, 'shop', 'web'), { phase: 'Running', specHash: a!.value.specHash })
  t.ok(isIdle(planSchedule(i)), 'nothing more to write')

  const plain = settle(input({ hosts: [host('h1')], manifests: [manifest('shop', 'api', { image: 'x' })] }), planSchedule).state
  const [p] = placed(plain)
  t.notOk('secrets' in p!.value || 'configs' in p!.value, 'a spec naming none carries none')
  t.equal(p!.value.specHash, specHash(p!.value.spec), 'and keeps its plain hash (no rollout on upgrade)')
})

t.test('a new secret version rolls the instances one at a time; so does a new config version', async t => {
  let i = deployed()
  const before = placed(i)[0]!.value.specHash
  i = { ...i, ...records(2, 1) }
  const first = planSchedule(i)
  t.equal(first.puts.length, 1, 'one instance at a time (a plain rollout)')
  t.same(first.puts[0]!.value.secrets?.['db-password']?.version, 2)
  t.not(first.puts[0]!.value.specHash, before, 'a new spec hash')
  i = settle(applyPlan(i, first), planSchedule).state
  t.same(placed(i).map(a => a.value.secrets?.['db-password']?.version), [2, 2], 'both rolled')
  const rotated = placed(i)[0]!.value.specHash

  i = { ...i, ...records(2, 5) }
  i = settle(i, planSchedule).state
  t.same(placed(i).map(a => a.value.configs?.['app-config']), [{ version: 5, data: 'port = 5' }, { version: 5, data: 'port = 5' }])
  t.not(placed(i)[0]!.value.specHash, rotated)
  t.match(statusOf(i, 'shop', 'web'), { phase: 'Running', running: 2 })
})

t.test('a missing secret or config: not placed, what runs keeps running, the status says how to create it', async t => {
  const fresh = planSchedule(input({ hosts: [host('h1')], manifests: [manifest('shop', 'web', web())], configs: records(1, 1).configs }))
  t.same(fresh.puts, [], 'nothing placed')
  const status = fresh.statuses[0]!.status
  t.equal(status.phase, 'Invalid')
  t.same(status.errors, [{
    path: '/secrets/0',
    message: 'secret "db-password" of app shop does not exist: create it with dokkaacfg secret create shop/db-password --from-file <file>',
  }])
  const noConfig = planSchedule(input({ hosts: [host('h1')], manifests: [manifest('shop', 'web', web())], secrets: records(1, 1).secrets }))
  t.same(noConfig.statuses[0]!.status.errors, [{
    path: '/configs/~1etc~1app~1app.toml',
    message: 'config "app-config" of app shop does not exist: create it with dokkaacfg config create shop/app-config --from-file <file>',
  }])
  // Another app's secret of the same name does not count.
  const other = planSchedule(input({ hosts: [host('h1')], manifests: [manifest('shop', 'web', web())], secrets: new Map([['other/db-password', secret(1)]]), configs: records(1, 1).configs }))
  t.same(other.puts, [])

  // Deployed, then the secret is deleted: the instances keep what they carry.
  const i = deployed()
  const gone = { ...i, secrets: new Map<string, SecretRecord>() }
  const plan = planSchedule(gone)
  t.same(plan.puts, [])
  t.same(plan.deletes, [])
  t.match(plan.statuses[0]!.status, { phase: 'Invalid', running: 2 })
})

t.test('a rollback goes back to the old spec with the current values', async t => {
  const doc = web({ health: { http: '/healthz' }, services: { web: 80 }, update: { monitor: '1s' } })
  let i = settle(input({ hosts: [host('h1'), host('h2')], manifests: [manifest('shop', 'web', doc)], ...records(1, 1) }), planSchedule).state
  i = conductorsReport(i)
  const good = placed(i)[0]!.value.specHash
  // A new image that never turns healthy.
  i = { ...i, manifests: [manifest('shop', 'web', { ...doc, image: 'shop:2' }, 20)] }
  const states = runInTime(i, planSchedule, a => (a.value.spec.image === 'shop:2' ? 'unhealthy' : 'healthy'))
  const end = states[states.length - 1]!
  t.match(statusOf(end, 'shop', 'web'), { phase: 'RolledBack' })
  t.same(placed(end).map(a => [a.value.spec.image, a.value.specHash, a.value.secrets?.['db-password']?.version]), [['shop:1', good, 1], ['shop:1', good, 1]])
})

t.test('a rollback of a version that came with a rotated secret keeps the rotated secret', async t => {
  const doc = web({ health: { http: '/healthz' }, services: { web: 80 }, update: { monitor: '1s' } })
  let i = settle(input({ hosts: [host('h1'), host('h2')], manifests: [manifest('shop', 'web', doc)], ...records(1, 1) }), planSchedule).state
  i = { ...conductorsReport(i), manifests: [manifest('shop', 'web', { ...doc, image: 'shop:2' }, 20)], ...records(2, 1) }
  const states = runInTime(i, planSchedule, a => (a.value.spec.image === 'shop:2' ? 'unhealthy' : 'healthy'))
  const end = states[states.length - 1]!
  t.match(statusOf(end, 'shop', 'web'), { phase: 'RolledBack' })
  const [a] = placed(end)
  t.same([a!.value.spec.image, a!.value.secrets?.['db-password']?.version], ['shop:1', 2], 'the old spec, the current secret')
  t.equal(a!.value.specHash, assignedSpecHash(a!.value.spec, { secrets: a!.value.secrets, configs: a!.value.configs }), 'hashed with what it carries')
  t.ok(isIdle(planSchedule(end)), 'and it stays there')
})
