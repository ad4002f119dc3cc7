// Table tests of the record readers, and a fast-check property: whatever text is stored
// under a key, a reader answers a record or undefined — it never throws.
import fc from 'fast-check'
import t from 'tap'
import {
  MAX_TEXT, readAgentToken, readControlRecord, readHostRecord, readInstanceRecord, readObject, readOwner,
  readSkydnsRecord, readStatusRecord,
} from './etcd-records.js'

const instance = {
  host: 'h1', hostAddress: '10.0.0.5', containerId: 'c1', containerName: 'a---b', state: 'running', specHash: 'f00d',
  ports: { web: 32768 }, restarts: 0, updatedAt: '2026-01-01T00:00:00.000Z',
}
const status = {
  phase: 'Running', desired: 1, running: 1, revision: 5, errors: [], problems: [],
  lastEvent: { at: '2026-01-01T00:00:00.000Z', message: 'all 1 instance running' }, updatedAt: '2026-01-01T00:00:00.000Z',
}
const junk = ['', 'nope', '[]', '[1,2]', '42', 'null', '"a string"', 'true', '{', '{"a":', '[['.repeat(3000)]

t.test('readObject: only JSON objects within size and depth', async t => {
  for (const j of junk) t.equal(readObject(j), undefined, JSON.stringify(j.slice(0, 20)))
  t.same(readObject('{"a":1}'), { a: 1 })
  t.equal(readObject(`{"a":"${'x'.repeat(70_000)}"}`), undefined, 'too large')
  t.equal(readObject(`{"a":${'['.repeat(20)}${']'.repeat(20)}}`), undefined, 'too deep')
})

t.test('instance records', async t => {
  t.same(readInstanceRecord(JSON.stringify(instance)), instance)
  t.same(readInstanceRecord(JSON.stringify({ ...instance, extra: 'dropped' })), instance, 'unknown fields dropped')
  const long = readInstanceRecord(JSON.stringify({ ...instance, state: 'failed', error: 'e'.repeat(10_000) }))!
  t.equal(long.error!.length, MAX_TEXT + 1, 'a long error is cut, not refused')
  for (const bad of [
    { ...instance, host: 5 }, { ...instance, host: '../x' }, { ...instance, state: 'dancing' }, { ...instance, ports: [80] },
    { ...instance, ports: { web: 70000 } }, { ...instance, restarts: -1 }, { ...instance, restarts: '1' }, { ...instance, error: {} },
    { ...instance, exitCode: 1.5 }, { ...instance, specHash: 'x'.repeat(100) },
  ]) t.equal(readInstanceRecord(JSON.stringify(bad)), undefined, JSON.stringify(bad).slice(0, 80))
  for (const j of junk) t.equal(readInstanceRecord(j), undefined)
})

t.test('instance records carry health: its state, the last failure (cut), since when healthy', async t => {
  const healthy = { ...instance, health: 'healthy', healthySince: '2026-01-01T00:00:05.000Z' }
  t.same(readInstanceRecord(JSON.stringify(healthy)), healthy)
  const sick = readInstanceRecord(JSON.stringify({ ...instance, health: 'unhealthy', healthError: 'GET /healthz: 503 '.repeat(1000) }))!
  t.equal(sick.health, 'unhealthy')
  t.equal(sick.healthError!.length, MAX_TEXT + 1, 'a long reason is cut, not refused')
  for (const bad of [{ ...instance, health: 'sick' }, { ...instance, health: 1 }, { ...instance, healthError: {} },
    { ...instance, healthySince: 5 }, { ...instance, healthySince: 'x'.repeat(100) }]) {
    t.equal(readInstanceRecord(JSON.stringify(bad)), undefined, JSON.stringify(bad).slice(0, 120))
  }
})

t.test('skydns records', async t => {
  t.same(readSkydnsRecord('{"host":"10.0.0.5","port":32768,"instance":"a/b/0","protocol":"tcp","role":"web"}'),
    { host: '10.0.0.5', port: 32768, instance: 'a/b/0', protocol: 'tcp', role: 'web' })
  for (const bad of ['{"host":"h","port":"80"}', '{"host":"h","port":0}', '{"host":1,"port":80}', '{"host":"h","port":80,"role":"x"}']) {
    t.equal(readSkydnsRecord(bad), undefined, bad)
  }
})

t.test('host records: unreadable still means alive, without labels or capacity', async t => {
  const good = { id: 'h1', address: '10.0.0.5', labels: { zone: 'a' }, cpus: 4, memory: 1024, engineVersion: '20.10', startedAt: 'now' }
  t.same(readHostRecord('h1', JSON.stringify(good)), { host: good, wellFormed: true })
  const junkHost = readHostRecord('h1', '[1,2,3]')
  t.same(junkHost, { host: { id: 'h1', address: '', labels: {}, cpus: 0, memory: 0, engineVersion: '', startedAt: '' }, wellFormed: false })
  const typed = readHostRecord('h1', JSON.stringify({ ...good, labels: { zone: 5 }, cpus: 'many', id: 'h2' }))
  t.same(typed.host.labels, {})
  t.equal(typed.host.cpus, 0)
  t.equal(typed.wellFormed, false)
})

t.test('control records: the wrong shape anywhere skips the record', async t => {
  t.same(readControlRecord('{"state":"stopped","restartGeneration":2,"instances":{"1":{"state":"paused"}}}'),
    { state: 'stopped', restartGeneration: 2, instances: { 1: { state: 'paused' } } })
  t.same(readControlRecord('{}'), {})
  for (const bad of ['{"state":"sleeping"}', '{"restartGeneration":-1}', '{"restartGeneration":"2"}', '{"instances":[]}',
    '{"instances":{"x":{}}}', '{"instances":{"1":{"state":"x"}}}', '{"instances":{"1":5}}']) {
    t.equal(readControlRecord(bad), undefined, bad)
  }
})

t.test('status records', async t => {
  t.same(readStatusRecord(JSON.stringify(status)), status)
  t.same(readStatusRecord(JSON.stringify({ ...status, validRevision: 4, specHash: 'ab' })), { ...status, validRevision: 4, specHash: 'ab' })
  for (const bad of [{ ...status, phase: 'Happy' }, { ...status, errors: 'none' }, { ...status, errors: [{ path: 1 }] },
    { ...status, problems: [1] }, { ...status, lastEvent: null }, { ...status, desired: -1 }]) {
    t.equal(readStatusRecord(JSON.stringify(bad)), undefined, JSON.stringify(bad).slice(0, 80))
  }
})

t.test('status records keep their rollout: the scheduler reads back that a revision was rolled back', async t => {
  const rollout = {
    state: 'rolled-back', from: { revision: 4, specHash: 'aa' }, to: { revision: 5, specHash: 'bb' }, updated: 1, total: 3,
    reason: 'instance 0 on h1 is unhealthy: GET /healthz: 503', startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:01:00.000Z',
  }
  t.same(readStatusRecord(JSON.stringify({ ...status, phase: 'RolledBack', rollout })), { ...status, phase: 'RolledBack', rollout })
  const rolling = { ...rollout, state: 'rolling', reason: undefined, endedAt: undefined, restartsBefore: { 0: 2, 1: 0 } }
  t.same(readStatusRecord(JSON.stringify({ ...status, phase: 'Updating', rollout: rolling }))?.rollout,
    { state: 'rolling', from: rollout.from, to: rollout.to, updated: 1, total: 3, startedAt: rollout.startedAt, restartsBefore: { 0: 2, 1: 0 } })
  t.equal(readStatusRecord(JSON.stringify({ ...status, rollout: { ...rollout, reason: 'r'.repeat(9000) } }))?.rollout?.reason?.length, MAX_TEXT + 1, 'a long reason is cut')
  const many = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [String(i), 0]))
  for (const bad of [
    'x', [], { ...rollout, state: 'exploded' }, { ...rollout, from: 'x' }, { ...rollout, to: { revision: -1, specHash: 'b' } },
    { ...rollout, updated: 1.5 }, { ...rollout, reason: 5 }, { ...rollout, startedAt: {} }, { ...rollout, restartsBefore: { x: 1 } },
    { ...rollout, restartsBefore: { 0: -1 } }, { ...rollout, restartsBefore: many },
  ]) t.equal(readStatusRecord(JSON.stringify({ ...status, rollout: bad })), undefined, JSON.stringify(bad).slice(0, 80))
})

t.test('owners and the agent token', async t => {
  t.equal(readOwner('{"user":"alice","createdAt":"x"}'), 'alice')
  for (const bad of ['{"user":5}', '{"user":""}', '{}', '"alice"', `{"user":"${'a'.repeat(300)}"}`]) t.equal(readOwner(bad), undefined, bad)
  t.same(readAgentToken('{"token":"abcdefghijklmnopqrstuvwxyz","createdAt":"now"}'), { token: 'abcdefghijklmnopqrstuvwxyz', createdAt: 'now' })
  for (const bad of ['{"token":"short"}', '{"token":5}', 'junk', '{"token":"has spaces in it, so no"}']) t.equal(readAgentToken(bad), undefined, bad)
})

t.test('property: no reader throws, whatever the text', async t => {
  const readers = [readObject, readInstanceRecord, readSkydnsRecord, (s: string) => readHostRecord('h', s), readControlRecord,
    readStatusRecord, readOwner, readAgentToken]
  const text = fc.oneof(
    fc.string(),
    fc.json(),
    fc.jsonValue().map(v => JSON.stringify(v)),
    fc.record({ host: fc.jsonValue(), state: fc.jsonValue(), ports: fc.jsonValue(), instances: fc.jsonValue(), errors: fc.jsonValue() })
      .map(v => JSON.stringify(v)),
  )
  fc.assert(fc.property(text, s => { for (const read of readers) read(s) }), { numRuns: 2000 })
  t.pass('2000 random values, no throw')
})
