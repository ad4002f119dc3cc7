// Secret and config files: where they go, how they are mounted, their modes, the tmpfs rule,
// a missing or wrong key as the instance's error (never the value), and the sweep that
// removes the files of containers that are gone — against a temp dir and a stand-in /proc/mounts.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { clusterKey, ClusterKeyError } from '../kit/secret-box.js'
import { containerSpec, LABELS, secretAad, validateManifest } from '../schemas/index.js'
import type { TeardownHost } from '../test/support/teardown-host.js'
import type { DesiredInstance } from './model.js'
import { ValueFiles } from './value-files.js'
import { fsTypeAt, parseValueDirName, secretOwner, valueDirName, valueMounts } from './value-mounts.js'

const key = clusterKey(randomBytes(32))
const ref = { app: 'shop', name: 'web', index: 0 }
const v = validateManifest({ image: 'x', secrets: ['db-password'], configs: { '/etc/app/app.toml': 'app-config', '/etc/copy.toml': 'app-config' } })
if (!v.ok) throw new Error('fixture')
const spec = containerSpec(v.manifest)
const desired = (version = 1, value = 'hunter2', specHash = `h${version}`): DesiredInstance => ({
  ref, spec, specHash, run: 'running', restartGeneration: 0,
  secrets: { 'db-password': { version, sealed: key.seal(Buffer.from(value), secretAad('shop', 'db-password', version)) } },
  configs: { 'app-config': { version, data: `port = ${version}\n` } },
})

function bed(t: TeardownHost, over: { fs?: string; key?: typeof key | Error; mount?: (dir: string) => string } = {}) {
  const base = mkdtempSync(join(tmpdir(), 'dokkaa-values-'))
  t.teardown(() => rmSync(base, { recursive: true, force: true }))
  let mounts = `sysfs /sys sysfs rw 0 0\n/dev/sda1 / ext4 rw 0 0\nnone ${base} ${over.fs ?? 'tmpfs'} rw 0 0\n`
  const mountCalls: string[] = []
  const files = new ValueFiles({
    baseDir: base, hostId: 'h/1', key: over.key ?? key, procMounts: async () => mounts,
    mountTmpfs: async dir => {
      mountCalls.push(dir)
      if (!over.mount) throw new Error('mount: only root can do that\nmore')
      mounts += over.mount(dir)
    },
  })
  return { base, files, mountCalls, dir: (specHash: string) => join(base, 'h_1', valueDirName(ref, specHash)) }
}

t.test('mount planning: the secrets dir at /run/secrets, each config file at its path, all read-only binds', async t => {
  t.same(valueMounts('/run/dokkaa/secrets/h1/d', spec), [
    { type: 'bind', source: '/run/dokkaa/secrets/h1/d/secrets', target: '/run/secrets', readOnly: true },
    { type: 'bind', source: '/run/dokkaa/secrets/h1/d/configs/app-config', target: '/etc/app/app.toml', readOnly: true },
    { type: 'bind', source: '/run/dokkaa/secrets/h1/d/configs/app-config', target: '/etc/copy.toml', readOnly: true },
  ])
  t.same(valueMounts('/d', { secrets: [], configs: {} }), [])
  t.same(parseValueDirName(valueDirName(ref, 'abc123')), { ref, specHash: 'abc123' })
  t.equal(parseValueDirName('../etc'), undefined)
})

t.test('the file system under a path: the longest mount point wins, escapes decoded', async t => {
  const mounts = 'rootfs / ext4 rw 0 0\ntmpfs /run tmpfs rw 0 0\n/dev/sdb /run/disk ext4 rw 0 0\ntmpfs /mnt/my\\040dir tmpfs rw 0 0\n'
  t.equal(fsTypeAt('/run/dokkaa/secrets', mounts), 'tmpfs')
  t.equal(fsTypeAt('/run/disk/x', mounts), 'ext4')
  t.equal(fsTypeAt('/running', mounts), 'ext4', 'a prefix of a name is not a parent')
  t.equal(fsTypeAt('/mnt/my dir/s', mounts), 'tmpfs')
})

t.test('prepare writes the opened secret 0400 and the config 0444 in a 0700 dir; nothing of the value in the mounts', async t => {
  const { files, dir } = bed(t)
  const mounts = await files.prepare(desired())
  files.created(desired())
  const d = dir('h1')
  t.equal(statSync(d).mode & 0o777, 0o700)
  t.equal(readFileSync(join(d, 'secrets', 'db-password'), 'utf8'), 'hunter2')
  t.equal(statSync(join(d, 'secrets', 'db-password')).mode & 0o777, 0o400)
  t.equal(readFileSync(join(d, 'configs', 'app-config'), 'utf8'), 'port = 1\n')
  t.equal(statSync(join(d, 'configs', 'app-config')).mode & 0o777, 0o444)
  t.equal(mounts.length, 3)
  t.notMatch(JSON.stringify(mounts), /hunter2/)
  t.same(await files.prepare({ ...desired(), spec: containerSpec({ ...v.manifest, secrets: [], configs: {} }) }), [], 'a spec naming none: no files')
})

t.test('refused: a secrets dir not on a tmpfs, no key, another key, a version that does not match', async t => {
  const disk = bed(t, { fs: 'ext4' })
  await t.rejects(disk.files.prepare(desired()), {
    code: 'DKA_CONDUCTOR_SECRET_FILES',
    message: /h_1 is on ext4, not a tmpfs, and mounting one there failed: mount: only root can do that: secrets are written only to memory/,
  })
  t.notOk(existsSync(disk.dir('h1')), 'nothing written')
  const configsOnly = { ...desired(), spec: containerSpec({ ...v.manifest, secrets: [] }) }
  t.equal((await disk.files.prepare(configsOnly)).length, 2, 'configs are no secret: written anywhere')

  const none = bed(t, { key: new ClusterKeyError('cannot read the cluster key /etc/dokkaa/cluster.key: ENOENT') })
  await t.rejects(none.files.prepare(desired()), { message: 'cannot open secret "db-password": cannot read the cluster key /etc/dokkaa/cluster.key: ENOENT' })
  const other = bed(t, { key: clusterKey(randomBytes(32)) })
  await t.rejects(other.files.prepare(desired()), { message: /cannot open secret "db-password" \(version 1\): sealed under cluster key .* copy the cluster's key file/ })
  const moved = desired()
  moved.secrets = { 'db-password': { ...moved.secrets!['db-password']!, version: 2 } }
  const err = await bed(t).files.prepare(moved).catch((e: Error) => e)
  t.match(err, { message: /does not open/ })
  t.notMatch((err as Error).message, /hunter2/)
  await t.rejects(bed(t).files.prepare({ ...desired(), secrets: {} }), { message: /carries no version of secret "db-password"/ })
})

t.test('the sweep removes directories no container has, keeps those of live containers and of creates under way', async t => {
  const { base, files, dir } = bed(t)
  await files.prepare(desired(1))
  files.created(desired(1))
  await files.prepare(desired(2))
  files.created(desired(2))
  await files.prepare(desired(3)) // its create is still under way
  const container = (specHash: string) => ({ id: 'c', name: 'n', labels: { [LABELS.host]: 'h/1', [LABELS.app]: 'shop', [LABELS.name]: 'web', [LABELS.instance]: '0', [LABELS.spec]: specHash } })
  let asked: Record<string, string> = {}
  const engine = { listContainers: async (labels: Record<string, string>) => { asked = labels; return [container('h2')] } }
  t.same(await files.sweep(engine), [valueDirName(ref, 'h1')])
  t.same(asked, { [LABELS.host]: 'h/1' }, 'only this host\'s containers')
  t.notOk(existsSync(dir('h1')))
  t.ok(existsSync(dir('h2')), 'a live container keeps its files (a restart finds them)')
  t.ok(existsSync(dir('h3')), 'a create under way keeps its files')
  files.created(desired(3))
  t.same(await files.sweep({ listContainers: async () => [] }), [valueDirName(ref, 'h2'), valueDirName(ref, 'h3')].sort())
  t.same(readdirSync(join(base, 'h_1')), [])
})

t.test('not on a tmpfs: this host\'s directory gets one mounted, once, then the files are written', async t => {
  const b = bed(t, { fs: 'ext4', mount: dir => `dokkaa-secrets ${dir} tmpfs rw 0 0\n` })
  await Promise.all([b.files.prepare(desired(1)), b.files.prepare(desired(2))])
  t.same(b.mountCalls, [join(b.base, 'h_1')], 'mounted once, at this host\'s directory')
  t.equal(readFileSync(join(b.dir('h1'), 'secrets', 'db-password'), 'utf8'), 'hunter2')
  await b.files.prepare(desired(3))
  t.equal(b.mountCalls.length, 1, 'not again')
})

t.test('a numeric dockerflags.User owns the secret files (so it can read them); a named one or none leaves them root\'s', async t => {
  t.same(secretOwner({ dockerflags: { User: '1000' } }), { uid: 1000, gid: 0 })
  t.same(secretOwner({ dockerflags: { User: '1000:2000' } }), { uid: 1000, gid: 2000 })
  t.equal(secretOwner({ dockerflags: { User: 'nobody' } }), undefined)
  t.equal(secretOwner({ dockerflags: { User: '0' } }), undefined)
  t.equal(secretOwner({}), undefined)
  // chown needs root: CI runs as root, as the conductor does.
  if (process.getuid?.() !== 0) return t.fail('this test runs as root (the conductor does; CI does)')
  const { files, dir } = bed(t)
  const d = { ...desired(), spec: { ...spec, dockerflags: { User: '1000:2000' } } }
  await files.prepare(d)
  files.created(d)
  const secrets = join(dir('h1'), 'secrets')
  t.match(statSync(join(secrets, 'db-password')), { uid: 1000, gid: 2000 })
  t.equal(statSync(join(secrets, 'db-password')).mode & 0o777, 0o400, 'still 0400: only that user')
  t.match(statSync(secrets), { uid: 1000, gid: 2000 })
  t.equal(statSync(secrets).mode & 0o777, 0o500)
})
