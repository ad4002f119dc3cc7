import t from 'tap'
import { parsePolicy } from './policy.js'
import { containerSpec, specHash } from './spec-hash.js'
import { validateManifest } from './validate-manifest.js'
import { dockerVolumeName, hostPathAllowed, namedVolumes, needsStopFirst, readVolumeHome, resolveVolumes } from './volumes.js'

t.test('volumes resolve to named volumes and binds; the named ones pin; writable ones replace stop-first', async t => {
  const spec = { volumes: { data: '/var/lib/app', logs: { path: '/logs', hostPath: '/srv/logs', readOnly: true } } }
  t.same(resolveVolumes(spec), [
    { kind: 'named', name: 'data', path: '/var/lib/app', readOnly: false },
    { kind: 'bind', name: 'logs', path: '/logs', hostPath: '/srv/logs', readOnly: true },
  ])
  t.same(namedVolumes(spec), ['data'])
  t.equal(needsStopFirst(spec), true)
  t.equal(needsStopFirst({ volumes: { cache: { path: '/c', readOnly: true } } }), false, 'read-only only: may run twice')
  t.equal(needsStopFirst({}), false)
  t.equal(dockerVolumeName({ app: 'shop', name: 'db', index: 2 }, 'data'), 'shop---db---2---data')
})

t.test('host paths: only under what the policy lists, by whole segments', async t => {
  t.ok(hostPathAllowed('/srv/logs', ['/srv']))
  t.ok(hostPathAllowed('/srv', ['/srv/']))
  t.notOk(hostPathAllowed('/srvx', ['/srv']), 'not a prefix of a segment')
  t.notOk(hostPathAllowed('/etc', []))
  t.ok(hostPathAllowed('/anything', ['/']))
})

t.test('validation names the field and the fix', async t => {
  const bad = (doc: unknown, path: string, message: RegExp, policy = {}) => {
    const r = validateManifest(doc, policy)
    t.notOk(r.ok, JSON.stringify(doc))
    if (!r.ok) t.match(r.errors, [{ path, message }], JSON.stringify(r.errors))
  }
  t.ok(validateManifest({ image: 'x', volumes: { data: '/data' }, volumeFailover: 'recreate' }).ok)
  bad({ image: 'x', volumes: { data: 'data' } }, '/volumes/data', /an absolute path, like "\/var\/lib\/app"/)
  bad({ image: 'x', volumes: { data: '/a/../etc' } }, '/volumes/data', /without "." or ".."/)
  bad({ image: 'x', volumes: { data: '/' } }, '/volumes/data', /not "\/"/)
  bad({ image: 'x', volumes: { a: '/d', b: { path: '/d' } } }, '/volumes/b/path', /mounted twice/)
  bad({ image: 'x', volumes: { a: '/tmp' }, dockerflags: { Tmpfs: { '/tmp': '' } } }, '/volumes/a', /mounted twice \(also at \/dockerflags\/Tmpfs\)/)
  bad({ image: 'x', volumes: { Data: '/d' } }, '/volumes', /volume name "Data" is not a DNS label/)
  bad({ image: 'x', volumes: { d: 3 } }, '/volumes/d', /a volume is a path in the container/)
  bad({ image: 'x', volumes: { d: { path: '/d', size: 3 } } }, '/volumes/d/size', /unknown field "size"; allowed: path, hostPath, readOnly/)
  bad({ image: 'x', volumes: { d: { path: '/d', hostPath: '/etc' } } }, '/volumes/d/hostPath', /host paths are not allowed by the cluster policy \(allowHostPaths/)
  bad({ image: 'x', volumes: { d: { path: '/d', hostPath: '/etc' } } }, '/volumes/d/hostPath', /not under a path the cluster policy allows \(allowHostPaths: \/srv\)/, { allowHostPaths: ['/srv'] })
  bad({ image: 'x', volumeFailover: 'move' }, '/volumeFailover', /.+/)
  t.ok(validateManifest({ image: 'x', volumes: { d: { path: '/d', hostPath: '/srv/app' } } }, { allowHostPaths: ['/srv'] }).ok, 'inside it: fine')
})

t.test('the policy takes allowHostPaths', async t => {
  t.same(parsePolicy('{"allowHostPaths": ["/srv"]}'), { ok: true, policy: { allowHostPaths: ['/srv'] } })
  t.notOk(parsePolicy('{"allowHostPaths": ["srv"]}').ok, 'relative: refused')
})

t.test('a volume home record read from etcd: junk is nobody\'s', async t => {
  t.same(readVolumeHome('{"host": "h1", "since": "2026-01-01T00:00:00Z", "volumes": ["data"]}'), { host: 'h1', since: '2026-01-01T00:00:00Z', volumes: ['data'] })
  for (const junk of ['nope', '[]', '{"host": "", "since": "x", "volumes": []}', '{"host": "h", "since": "x", "volumes": [1]}', '{"host": "h", "since": "x", "volumes": [], "recreatedFrom": 3}']) {
    t.equal(readVolumeHome(junk), undefined, junk)
  }
})

t.test('volumeFailover is placement policy: changing it changes no spec (no rollout)', async t => {
  const spec = (volumeFailover?: 'pin' | 'recreate') => {
    const r = validateManifest({ image: 'x', volumes: { data: '/data' }, ...(volumeFailover ? { volumeFailover } : {}) })
    if (!r.ok) throw new Error('invalid')
    return containerSpec(r.manifest)
  }
  t.notOk('volumeFailover' in spec('recreate'))
  t.equal(specHash(spec('recreate')), specHash(spec()))
  t.equal(specHash(spec('pin')), specHash(spec()))
})
