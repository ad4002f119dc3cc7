import t from 'tap'
import {
  digestFor, isImageDigest, isRegistryHost, pinnedImage, readRegistryRecord, registryHostProblem, registryOf, registryUsernameProblem, repositoryOf,
} from './registries.js'
import { specHash, assignedSpecHash, containerSpec } from './spec-hash.js'
import { validateManifest } from './validate-manifest.js'

const D1 = `sha256:${'a'.repeat(64)}`
const D2 = `sha256:${'b'.repeat(64)}`

t.test('which registry an image comes from, and its repository as RepoDigests name it', async t => {
  t.equal(registryOf('busybox'), 'docker.io')
  t.equal(registryOf('team/app:v1'), 'docker.io')
  t.equal(registryOf('docker.io/library/busybox'), 'docker.io')
  t.equal(registryOf('index.docker.io/team/app'), 'docker.io')
  t.equal(registryOf('localhost:5000/app:v2'), 'localhost:5000')
  t.equal(registryOf('Registry.Example.com/team/app@' + D1), 'registry.example.com', 'hosts compare in lowercase')
  t.equal(registryOf('../../x'), undefined, 'no reference, no registry')
  t.equal(repositoryOf('busybox:1.36'), 'busybox')
  t.equal(repositoryOf('docker.io/library/busybox'), 'busybox')
  t.equal(repositoryOf('team/app'), 'team/app')
  t.equal(repositoryOf('127.0.0.1:5000/dokkaa/busybox:pull'), '127.0.0.1:5000/dokkaa/busybox')
})

t.test('the digest of the image\'s own repository, never another\'s', async t => {
  const rds = [`127.0.0.1:5000/other@${D2}`, `127.0.0.1:5000/dokkaa/busybox@${D1}`]
  t.equal(digestFor('127.0.0.1:5000/dokkaa/busybox:pull', rds), D1)
  t.equal(digestFor('127.0.0.1:5000/other:x', rds), D2)
  t.equal(digestFor('dokkaa/busybox:test', rds), undefined, 'a local build has none for its repository')
  t.equal(digestFor('busybox', [`busybox@${D1}`]), D1)
  t.equal(digestFor('busybox', ['busybox@sha256:short', 'busybox@md5:' + 'a'.repeat(64)]), undefined, 'junk digests are not taken')
})

t.test('a pinned reference drops the tag and keeps the registry', async t => {
  t.equal(pinnedImage('127.0.0.1:5000/team/app:live', D1), `127.0.0.1:5000/team/app@${D1}`)
  t.equal(pinnedImage('busybox', D1), `busybox@${D1}`)
  t.ok(isImageDigest(D1))
  t.notOk(isImageDigest('sha256:ABC'))
  t.notOk(isImageDigest(`${D1} `))
})

t.test('registry hosts and usernames: what can be stored, and the message when not', async t => {
  for (const ok of ['docker.io', 'localhost:5000', '127.0.0.1:5001', 'registry.example.com', 'a-b.c']) t.ok(isRegistryHost(ok), ok)
  for (const bad of ['', 'UPPER.example', 'a/b', 'x:99999', 'x:0', 'x:', '-x', 'a..b', 'a b', 'https://x', 'x'.repeat(254)]) t.notOk(isRegistryHost(bad), bad)
  t.match(registryHostProblem('a/b'), /registry host "a\/b" is not a registry address: use the host\[:port\]/)
  t.equal(registryHostProblem('docker.io'), undefined)
  t.equal(registryUsernameProblem('dokkaa'), undefined)
  t.match(registryUsernameProblem(''), /required \(--username\)/)
  t.match(registryUsernameProblem('a:b'), /":"/)
  t.match(registryUsernameProblem('a\nb'), /control/)
  t.match(registryUsernameProblem('x'.repeat(257)), /at most 256/)
})

t.test('a credential record from etcd: only the right shape is read', async t => {
  const sealed = { alg: 'aes-256-gcm', keyId: '0123456789abcdef', iv: 'aXY=', tag: 'dGFn', data: 'ZGF0YQ==' }
  const good = { username: 'u', sealed, createdAt: 'c', updatedAt: 'u' }
  t.same(readRegistryRecord(JSON.stringify(good)), good)
  t.same(readRegistryRecord(JSON.stringify({ ...good, password: 'plain' })), good, 'extra fields are not carried')
  for (const bad of ['', 'null', '[]', '{', JSON.stringify({ ...good, username: '' }), JSON.stringify({ ...good, sealed: { ...sealed, alg: 'none' } }), JSON.stringify({ ...good, createdAt: 1 })]) {
    t.equal(readRegistryRecord(bad), undefined, bad.slice(0, 40))
  }
})

t.test('"pull" is validated, and changing it alone changes no spec hash', async t => {
  const bad = validateManifest({ image: 'busybox', pull: 'sometimes' })
  t.notOk(bad.ok)
  t.match(!bad.ok && bad.errors, [{ path: '/pull' }])
  for (const pull of ['missing', 'always', 'never']) t.ok(validateManifest({ image: 'busybox', pull }).ok, pull)
  const spec = (m: Record<string, unknown>) => {
    const r = validateManifest({ image: 'busybox', ...m })
    if (!r.ok) throw new Error('invalid')
    return containerSpec(r.manifest)
  }
  t.equal(specHash(spec({ pull: 'always' })), specHash(spec({})), 'pull is not hashed')
  t.equal(specHash(spec({ pull: 'never' })), specHash(spec({ pull: 'always' })))
  t.equal(spec({ pull: 'always' }).pull, 'always', 'but the conductor gets it in the spec')
  const v = { secrets: { s: { version: 2 } } }
  t.equal(assignedSpecHash(spec({ pull: 'always', secrets: ['s'] }), v), assignedSpecHash(spec({ secrets: ['s'] }), v), 'with secrets too')
})
