import fc from 'fast-check'
import t from 'tap'
import {
  readAgentToken, readControl, readHost, readInstance, readManifestDoc, readOwner, readStatus, readToken, readUser, scaleOf,
} from './record-shapes.js'

/** The record as a reader returns it with those fields dropped: absent, not undefined. */
function without<T extends object>(o: T, ...keys: (keyof T)[]): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k as keyof T))) as Partial<T>
}

const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000)

t.test('well-formed records read back as written', async t => {
  const status = { phase: 'Running', desired: 2, running: 2, revision: 7, errors: [{ path: '/scale', message: 'x' }], problems: ['p'], lastEvent: { at: 'now', message: 'ok' }, updatedAt: 'now' }
  t.same(readStatus(JSON.stringify(status)), status)
  t.same(readControl('{"state":"stopped","restartGeneration":2,"instances":{"1":{"state":"paused"}}}'), { state: 'stopped', restartGeneration: 2, instances: { 1: { state: 'paused' } } })
  const inst = { host: 'h1', hostAddress: '10.0.0.1', containerId: 'c', containerName: 'a---b', state: 'running', specHash: 's', address: '172.17.0.2', ports: { web: 20000 }, restarts: 1, startedAt: 't', updatedAt: 'u' }
  t.same(readInstance(JSON.stringify(inst)), inst)
  const host = { address: '10.0.0.1', labels: { zone: 'a' }, cpus: 2, memory: 1024, engineVersion: '20.10', agentUrl: 'http://10.0.0.1:7000', startedAt: 't' }
  t.same(readHost('h1', JSON.stringify(host)), { id: 'h1', ...host })
  t.equal(readOwner('{"user":"alice","createdAt":"x"}'), 'alice')
  t.same(readUser('{"name":"alice","admin":false,"passwordHash":"scrypt$x","createdAt":"t"}'), { name: 'alice', admin: false, passwordHash: 'scrypt$x', createdAt: 't' })
  t.same(readToken('{"id":"abc","user":"alice","name":"ci","kind":"api","hash":"h","createdAt":"t"}'), { id: 'abc', user: 'alice', name: 'ci', kind: 'api', hash: 'h', createdAt: 't' })
  t.equal(readAgentToken('{"token":"secret","createdAt":"t"}'), 'secret')
  t.same(readManifestDoc('{"image":"x"}'), { image: 'x' })
})

t.test('wrong shapes: fields of the wrong type are dropped, non-records are undefined', async t => {
  t.same(readInstance('{"host":"h1","containerName":"c","state":"running","ports":{"web":"x","Bad_Name":80,"ok":80},"restarts":"many"}'),
    { host: 'h1', hostAddress: '', containerId: '', containerName: 'c', state: 'running', specHash: '', ports: { ok: 80 }, restarts: 0, updatedAt: '' })
  t.equal(readInstance('{"host":5,"containerName":"c","state":"running"}'), undefined, 'no host')
  t.equal(readInstance('{"host":"../x","containerName":"c","state":"running"}'), undefined, 'not a host id')
  t.same(readHost('h2', '{"cpus":"lots","memory":{"a":1},"labels":"x","address":7,"agentUrl":"file:///etc/passwd"}'),
    { id: 'h2', address: '', labels: {}, cpus: 0, memory: 0, engineVersion: '', startedAt: '' })
  t.same(readControl('{"state":{"deep":true},"instances":"no","restartGeneration":"x"}'), {})
  t.equal(readStatus('{"running":"many"}'), undefined, 'a status needs a phase')
  t.same(readStatus('{"phase":"Running","errors":"zzz","running":"many"}'), { phase: 'Running' })
  t.equal(readOwner('{"user":{"name":"alice"}}'), undefined)
  t.equal(readOwner('{"user":"Alice"}'), undefined)
  t.equal(readUser('{"name":"alice","admin":"yes","passwordHash":"x"}'), undefined)
  t.equal(readToken('{"id":"a","user":"alice","kind":"root","hash":"h"}'), undefined)
  t.equal(readAgentToken('{"token":""}'), undefined)
  t.equal(readManifestDoc('[1]'), null)
  t.equal(readManifestDoc(`{"image":"x","env":${deep}}`), null, 'deeper than the manifest limit')
  t.equal(readManifestDoc(JSON.stringify({ image: 'x', env: { A: 'y'.repeat(70_000) } })), null, 'larger than the manifest limit')
  for (const read of [readStatus, readControl, readInstance, readOwner, readUser, readToken, readAgentToken, readManifestDoc]) {
    t.notOk(read(deep), `${read.name}: 5,000 levels`)
    t.notOk(read('[' .repeat(100_000)), `${read.name}: broken and deep`)
  }
})

t.test('health and rollouts: read back as written; junk is dropped field by field', async t => {
  const inst = { host: 'h1', hostAddress: 'a', containerId: 'c', containerName: 'x---y', state: 'running', specHash: 's', ports: {}, restarts: 0, health: 'unhealthy', healthError: 'GET /healthz: 503', healthySince: '2024-01-01T00:00:00Z', updatedAt: 'u' }
  t.same(readInstance(JSON.stringify(inst)), inst)
  t.same(readInstance(JSON.stringify({ ...inst, health: 'sick', healthError: { deep: [1] }, healthySince: 5 })),
    without(inst, 'health', 'healthError', 'healthySince'), 'unknown health and wrong types dropped')
  t.equal(readInstance(JSON.stringify({ ...inst, healthError: 'x'.repeat(5000) }))?.healthError, undefined, 'an endless reason is dropped')

  const rollout = { state: 'rolled-back', from: { revision: 12, specHash: 'a' }, to: { revision: 15, specHash: 'b' }, updated: 1, total: 3, reason: 'instance 0 unhealthy', startedAt: 's', endedAt: 'e' }
  const status = { phase: 'RolledBack', desired: 3, running: 3, revision: 15, validRevision: 12, errors: [], problems: [], rollout, lastEvent: { at: 'a', message: 'm' }, updatedAt: 'u' }
  t.same(readStatus(JSON.stringify(status)), status)
  for (const junk of ['x', 7, [], { state: 'exploded', from: rollout.from, to: rollout.to }, { ...rollout, from: 'x' }, { ...rollout, to: { revision: -1 } }, { ...rollout, to: { revision: 1.5 } }]) {
    t.same(readStatus(JSON.stringify({ ...status, rollout: junk })), without(status, 'rollout'), `rollout ${JSON.stringify(junk).slice(0, 40)}: dropped, the status stays`)
  }
  t.same(readStatus(JSON.stringify({ ...status, rollout: { ...rollout, updated: 9, total: 'x', reason: 5, startedAt: {} } }))?.rollout,
    { state: 'rolled-back', from: rollout.from, to: rollout.to, updated: 0, total: 0, startedAt: '', endedAt: 'e' }, 'fields of the wrong type dropped; updated never exceeds total')
  t.same(readStatus(JSON.stringify({ ...status, revision: 'x', validRevision: 1.5 })), without(status, 'revision', 'validRevision'))
})

t.test('scale is taken at its word only within 0–1000', async t => {
  t.equal(scaleOf({ scale: 3 }), 3)
  t.equal(scaleOf({}), 1)
  t.equal(scaleOf(null), 1)
  t.equal(scaleOf({ scale: 1e9 }), 1000)
  t.equal(scaleOf({ scale: -5 }), 0)
  t.equal(scaleOf({ scale: 'x' }), 1)
})

t.test('no input makes a reader throw', async t => {
  const anyText = fc.oneof(fc.string({ unit: 'binary' }), fc.jsonValue({ maxDepth: 5 }).map(v => JSON.stringify(v)),
    fc.anything({ maxDepth: 3 }).map(v => { try { return JSON.stringify({ host: 'h', containerName: 'c', state: 's', phase: 'P', user: 'u', name: 'n', admin: true, passwordHash: 'p', id: 'i', kind: 'api', hash: 'h', token: 't', ports: v, labels: v, instances: v, errors: v, rollout: v, health: v, healthError: v }) } catch { return '' } }))
  fc.assert(fc.property(anyText, text => {
    readStatus(text); readControl(text); readInstance(text); readHost('h', text); readOwner(text); readUser(text); readToken(text); readAgentToken(text); readManifestDoc(text)
    const r = readInstance(text)
    if (r) JSON.stringify(r)
    return true
  }), { numRuns: 2000 })
})

t.test('images and pulls: an instance\'s digest and id, a status\'s pulling lines; junk dropped', async t => {
  const digest = `sha256:${'a'.repeat(64)}`
  const inst = { host: 'h1', hostAddress: 'a', containerId: 'c', containerName: 'x---y', state: 'pulling', specHash: 's', ports: {}, restarts: 0, imageDigest: digest, imageId: `sha256:${'b'.repeat(64)}`, pullProgress: '2 of 5 layers, 12.0 of 40.1 MB', updatedAt: 'u' }
  t.same(readInstance(JSON.stringify(inst)), inst, 'read back as written')
  t.same(readInstance(JSON.stringify({ ...inst, imageDigest: 'sha256:ABC', imageId: 7, pullProgress: 'x'.repeat(2000) })),
    without(inst, 'imageDigest', 'imageId', 'pullProgress'), 'not a digest, not a string, too long: dropped')
  const status = { phase: 'Updating', revision: 3, errors: [], problems: [], pulling: ['instance 0 on h1: pulling localhost:5000/app:v2: 2 of 5 layers'], lastEvent: { at: 'a', message: 'm' }, updatedAt: 'u' }
  t.same(readStatus(JSON.stringify(status)), status)
  t.same(readStatus(JSON.stringify({ ...status, pulling: ['ok', 5, { x: 1 }] }))?.pulling, ['ok'], 'only the strings')
  t.same(readStatus(JSON.stringify({ ...status, pulling: 'x' })), without(status, 'pulling'))
})
