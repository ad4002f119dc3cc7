import fc from 'fast-check'
import t from 'tap'
import { containerSpec, specHash, validateManifest } from '../schemas/index.js'
import { MAX_ASSIGNMENT_BYTES, readAssignment } from './assignment-record.js'
import { desiredFromAssignment } from './desired-state.js'

const ref = { app: 'dummy', name: 'web', index: 0 }
const valid = validateManifest({ image: 'dokkaa/busybox:test', services: { web: 80 }, env: { A: 1 } })
if (!valid.ok) throw new Error('fixture')
const spec = containerSpec(valid.manifest)
const good = { spec, specHash: specHash(spec), revision: 7 }
const text = (v: unknown) => JSON.stringify(v)

t.test('what the scheduler writes reads back as it was written', async t => {
  const r = readAssignment(text({ ...good, run: 'paused', restartGeneration: 2, constraints: { zone: 'a' } }))
  t.ok(r.ok)
  if (r.ok) t.same(r.assignment, { ...good, run: 'paused', restartGeneration: 2, constraints: { zone: 'a' } })
  const d = desiredFromAssignment(ref, text(good))
  t.same(d, { ok: true, desired: { ref, spec, specHash: good.specHash, run: 'running', restartGeneration: 0 } })
})

t.test('the short service form is normalized', async t => {
  const r = readAssignment(text({ spec: { image: 'x', services: { web: 80 } }, specHash: 'abc', revision: 1 }))
  t.match(r, { ok: true, assignment: { spec: { services: { web: { port: 80 } }, restart: 'always' } } })
})

t.test('junk is rejected with a reason, never thrown', async t => {
  const cases: [string, RegExp][] = [
    ['not json', /not JSON/],
    ['[1,2]', /not a JSON object/],
    ['null', /not a JSON object/],
    [text({ ...good, specHash: 5 }), /specHash/],
    [text({ ...good, specHash: 'has spaces' }), /specHash/],
    [text({ ...good, revision: -1 }), /revision/],
    [text({ ...good, run: 'sideways' }), /run must be one of/],
    [text({ ...good, restartGeneration: 1.5 }), /restartGeneration/],
    [text({ ...good, constraints: { zone: 1 } }), /constraints/],
    [text({ ...good, spec: 'nginx' }), /spec is missing or not an object/],
    [text({ ...good, spec: { ...spec, image: '../../etc/passwd' } }), /^spec\/image: image "\.\.\/\.\.\/etc\/passwd"/],
    [text({ ...good, spec: { ...spec, image: '../../127.0.0.1:9/path' } }), /^spec\/image: image/],
    [text({ ...good, spec: { ...spec, image: 42 } }), /^spec\/image: must be string/],
    [text({ ...good, spec: { ...spec, dockerflags: { Privileged: true } } }), /privileged containers are not allowed/],
    [text({ ...good, spec: { ...spec, bogus: 1, other: 2, more: 3, four: 4 } }), /and 1 more$/],
    [`{"spec":{"image":"x","env":${'['.repeat(5000)}${']'.repeat(5000)}},"specHash":"a"}`, /nested deeper than 9 levels/],
    [text({ ...good, pad: 'x'.repeat(MAX_ASSIGNMENT_BYTES) }), /more than the \d+ an assignment can take/],
  ]
  for (const [value, why] of cases) {
    const r = readAssignment(value)
    t.notOk(r.ok, value.slice(0, 60))
    if (!r.ok) t.match(r.reason, why, value.slice(0, 60))
  }
  const d = desiredFromAssignment(ref, text({ ...good, spec: { ...spec, image: '../../etc/passwd' } }))
  t.match(d, { ok: false, rejected: { ref, reason: /^assignment rejected: spec\/image:/, specHash: good.specHash } })
  t.match(desiredFromAssignment(ref, 'junk'), { ok: false, rejected: { specHash: '' } })
})

t.test('host networking passes (the policy is the scheduler\'s), but never a forbidden flag', async t => {
  t.ok(readAssignment(text({ ...good, spec: { ...spec, dockerflags: { NetworkMode: 'host' } } })).ok)
})

t.test('volumes: a host path passes (the policy\'s allowHostPaths is the scheduler\'s); a path that is not clean never does', async t => {
  const volumes = { data: '/data', logs: { path: '/logs', hostPath: '/srv/logs', readOnly: true } }
  const r = readAssignment(text({ ...good, spec: { ...spec, volumes } }))
  t.match(r, { ok: true, assignment: { spec: { volumes } } })
  t.match(readAssignment(text({ ...good, spec: { ...spec, volumes: { d: { path: '/d', hostPath: '/srv/../etc' } } } })), { ok: false, reason: /^spec\/volumes\/d\/hostPath: an absolute host path without "\." or "\.\."/ })
  t.match(readAssignment(text({ ...good, spec: { ...spec, volumes: { d: '/' } } })), { ok: false, reason: /^spec\/volumes\/d: / })
})

t.test('property: any text is read or rejected, never thrown', async t => {
  const arb = fc.oneof(fc.string(), fc.jsonValue().map(v => JSON.stringify(v)),
    fc.record({ spec: fc.jsonValue(), specHash: fc.jsonValue(), revision: fc.jsonValue(), run: fc.jsonValue() }, { requiredKeys: [] }).map(v => JSON.stringify(v)))
  fc.assert(fc.property(arb, s => { readAssignment(s) }), { numRuns: 2000 })
  t.pass()
})

t.test('secrets and configs: read as the scheduler writes them, junk refused without the value in the reason', async t => {
  const v = validateManifest({ image: 'x', secrets: ['db-password'], configs: { '/etc/app.toml': 'app-config', '/etc/copy.toml': 'app-config' } })
  if (!v.ok) throw new Error('fixture')
  const withNames = containerSpec(v.manifest)
  const sealed = { alg: 'aes-256-gcm', keyId: '0123456789abcdef', iv: 'aXY=', tag: 'dGFn', data: 'ZGF0YQ==' }
  const values = { secrets: { 'db-password': { version: 3, sealed } }, configs: { 'app-config': { version: 2, data: 'port = 8080\n' } } }
  const base = { spec: withNames, specHash: 'abc', revision: 1 }
  const r = readAssignment(text({ ...base, ...values }))
  t.same(r, { ok: true, assignment: { ...base, ...values } })
  const d = desiredFromAssignment(ref, text({ ...base, ...values }))
  t.match(d, { ok: true, desired: values }, 'the conductor gets them')
  t.same(readAssignment(text(base)), { ok: true, assignment: base }, 'one the spec names but the value lacks: read (its create fails, naming it)')

  const cases: [unknown, RegExp][] = [
    [{ secrets: [] }, /^secrets is not an object$/],
    [{ secrets: { other: { version: 1, sealed } } }, /secrets\/other is not named by spec\.secrets/],
    [{ secrets: { 'db-password': { version: 0, sealed } } }, /secrets\/db-password is not \{version, sealed\}/],
    [{ secrets: { 'db-password': { version: 1, sealed: { ...sealed, alg: 'rot13' } } } }, /not \{version, sealed\}/],
    [{ secrets: { 'db-password': { version: 1, value: 'hunter2' } } }, /not \{version, sealed\}/],
    [{ configs: { 'app-config': { version: 1, data: 5 } } }, /configs\/app-config is not \{version, data\}/],
    [{ configs: { 'app-config': { version: 1, data: 'x'.repeat(40_000) } } }, /at most 32768 bytes/],
    [{ configs: { nope: { version: 1, data: '' } } }, /configs\/nope is not named by spec\.configs/],
  ]
  for (const [over, reason] of cases) {
    const got = readAssignment(text({ ...base, ...(over as object) }))
    t.notOk(got.ok)
    if (!got.ok) {
      t.match(got.reason, reason)
      t.notMatch(got.reason, /hunter2|ZGF0YQ/, 'no value in the reason')
    }
  }
})

t.test('imageDigest (and previous.imageDigest): read when a digest, refused otherwise; the conductor gets it', async t => {
  const v = validateManifest({ image: 'r.example:5000/app:live', pull: 'always' })
  if (!v.ok) throw new Error('fixture')
  const spec = containerSpec(v.manifest)
  const d1 = `sha256:${'e'.repeat(64)}`
  const base = { spec, specHash: 'abc', revision: 2, imageDigest: d1, previous: { spec, specHash: 'old', revision: 1, imageDigest: d1 } }
  t.same(readAssignment(text(base)), { ok: true, assignment: base })
  t.match(desiredFromAssignment(ref, text(base)), { ok: true, desired: { imageDigest: d1, spec: { pull: 'always' } } })
  t.match(readAssignment(text({ ...base, imageDigest: 'latest' })), { ok: false, reason: /imageDigest is not "sha256:"/ })
  t.match(readAssignment(text({ ...base, previous: { ...base.previous, imageDigest: 7 } })), { ok: false, reason: /previous\.imageDigest is not/ })
})
