// Secrets and configs with a real conductor and Docker, the test playing the scheduler (it
// seals the secret under a temp cluster key, as the builder does, and writes the assignment
// with its versions and hash). The container reads /run/secrets/db-password (mode 0400) and
// its config file; the value is in neither `docker inspect` nor the conductor's log; a
// `docker restart` finds the files still there, and a container whose files a reboot took is
// made again; a new version is a new container reading the
// new value, and the old one's files go with it; unassigned, the host directory is gone. A
// secret sealed under another key fails only its instance, the record saying why. The
// secrets dir is a temp dir: on a tmpfs already, or the conductor mounts one (we run as root).
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { clusterKey, type ClusterKey } from '../../kit/secret-box.js'
import {
  assignedSpecHash, containerSpec, LABELS, secretAad, validateManifest, type Assignment, type InstanceRef, type Manifest,
} from '../../schemas/index.js'
import { TEST_IMAGE } from '../../test/support/images.js'
import { waitFor } from '../../test/support/wait-for.js'
import { fsTypeAt, hostDirName } from '../value-mounts.js'
import { bed, dockerExec, LONG } from './harness.js'

process.env.DOCKER_API_VERSION ??= '1.41'
const b = bed(t)
const web = (index = 0): InstanceRef => ({ app: b.app, name: 'web', index })
const SECRET = (v: number) => `hunter2-${v}-${randomBytes(6).toString('hex')}`
const manifest: Manifest = {
  image: TEST_IMAGE, command: 'exec sleep 3600', stopGracePeriod: '1s',
  secrets: ['db-password'], configs: { '/etc/app/app.toml': 'app-config' },
}

const raw = randomBytes(32)
const key = clusterKey(raw)
const work = mkdtempSync(join(tmpdir(), 'dokkaa-secrets-it-'))
const keyFile = join(work, 'cluster.key')
writeFileSync(keyFile, `${raw.toString('base64')}\n`, { mode: 0o600 })
const secretsDir = join(work, 'secrets')
const hostDir = join(secretsDir, hostDirName(b.hostId))
const fsOf = (path: string) => fsTypeAt(realpathSync(path), readFileSync('/proc/mounts', 'utf8'))
t.teardown(() => {
  // Where the temp dir is no tmpfs, the conductor mounted one at its host's directory.
  if (existsSync(hostDir) && readFileSync('/proc/mounts', 'utf8').split('\n').some(l => l.split(' ')[1] === hostDir)) execFileSync('umount', ['-l', hostDir])
  rmSync(work, { recursive: true, force: true })
})
const dirs = () => (existsSync(hostDir) ? readdirSync(hostDir) : [])

/** Writes the assignment as the scheduler does: the current versions, the sealed value, the hash over them. */
async function assign(ref: InstanceRef, value: string, version: number, sealer: ClusterKey = key, doc: Manifest = manifest): Promise<string> {
  const v = validateManifest(doc)
  if (!v.ok) throw new Error('fixture')
  const spec = containerSpec(v.manifest)
  const values = {
    secrets: { 'db-password': { version, sealed: sealer.seal(Buffer.from(value), secretAad(ref.app, 'db-password', version)) } },
    configs: { 'app-config': { version, data: `port = ${8000 + version}\n` } },
  }
  const specHash = assignedSpecHash(spec, values)
  const a: Assignment = { spec, specHash, revision: version, ...values }
  await b.etcd.client.put(b.keys.assignment(b.hostId, ref)).value(JSON.stringify(a))
  return specHash
}

const running = (index: number, specHash: string) => waitFor(async () => {
  const mine = (await b.containers()).filter(c => c.Labels[LABELS.instance] === String(index))
  return mine.length === 1 && mine[0]!.State === 'running' && mine[0]!.Labels[LABELS.spec] === specHash ? mine[0] : undefined
}, { ...LONG, what: `instance ${index} running spec ${specHash}` })

let conductor: ReturnType<typeof b.start>
t.before(async () => {
  conductor = b.start(['--cluster-key-file', keyFile, '--secrets-dir', secretsDir, '--log-level', 'debug'])
})

t.test('the secret as a 0400 file at /run/secrets, the config at its path; in no inspect or log; a new version rolls; gone when unassigned', async t => {
  const one = SECRET(1)
  const hash1 = await assign(web(), one, 1)
  const c1 = await running(0, hash1)
  t.equal(await dockerExec(c1.Id, 'cat', '/run/secrets/db-password'), one, 'the container reads the secret')
  t.equal((await dockerExec(c1.Id, 'stat', '-c', '%a', '/run/secrets/db-password')).trim(), '400')
  t.equal(await dockerExec(c1.Id, 'cat', '/etc/app/app.toml'), 'port = 8001\n', 'the config file at its path')
  t.match(await dockerExec(c1.Id, 'sh', '-c', 'echo x > /run/secrets/db-password 2>&1 || echo refused'), /Read-only file system|refused/, 'read-only')

  const inspect = JSON.stringify(await b.docker.getContainer(c1.Id).inspect())
  t.notOk(inspect.includes(one), 'docker inspect does not hold the value')
  t.ok(inspect.includes(join(hostDir, dirs()[0] ?? 'none', 'secrets')), 'only the bind source path')
  t.same(dirs().length, 1)
  t.equal(fsOf(hostDir), 'tmpfs', 'the files are on a tmpfs (mounted by the conductor where the temp dir is none)')

  execFileSync('docker', ['restart', '-t', '1', c1.Id], { env: { ...process.env, DOCKER_API_VERSION: '1.41' } })
  await running(0, hash1)
  t.equal(await dockerExec(c1.Id, 'cat', '/run/secrets/db-password'), one, 'a docker restart finds the files')

  // A reboot empties the tmpfs: the container cannot start again; it is made again, with its files.
  rmSync(join(hostDir, dirs()[0]!), { recursive: true, force: true })
  execFileSync('docker', ['kill', c1.Id], { env: { ...process.env, DOCKER_API_VERSION: '1.41' } })
  const again = await waitFor(async () => { const c = await running(0, hash1); return c.Id !== c1.Id && c }, { ...LONG, what: 'the container made again' })
  t.equal(await dockerExec(again.Id, 'cat', '/run/secrets/db-password'), one, 'its files written afresh')
  t.match(conductor.output(), /the container's secret and config files are gone \(host rebooted\?\)/, 'the log says why it was made again')

  // Version 2: a new spec hash, a new container (start-first), the new value.
  const two = SECRET(2)
  const hash2 = await assign(web(), two, 2)
  t.not(hash2, hash1)
  const c2 = await running(0, hash2)
  t.not(c2.Id, again.Id)
  t.equal(await dockerExec(c2.Id, 'cat', '/run/secrets/db-password'), two, 'the new container reads the new value')
  t.equal(await dockerExec(c2.Id, 'cat', '/etc/app/app.toml'), 'port = 8002\n')
  await waitFor(() => dirs().length === 1, { ...LONG, what: 'the old container\'s files removed' })

  await b.unassign(web())
  await waitFor(async () => (await b.containers()).length === 0, { ...LONG, what: 'container removed' })
  await waitFor(() => dirs().length === 0, { ...LONG, what: 'the host directory emptied' })
  const log = conductor.output()
  t.notOk(log.includes(one) || log.includes(two), 'the conductor\'s log holds no value')
})

t.test('a secret sealed under another key fails only its instance, the record saying why', async t => {
  const value = SECRET(1)
  await assign(web(1), value, 1, clusterKey(randomBytes(32)))
  const record = await waitFor(async () => { const r = await b.record(web(1)); return r?.state === 'failed' && r.error ? r : undefined }, { ...LONG, what: 'instance 1 failed' })
  t.match(record.error, /cannot open secret "db-password" \(version 1\): sealed under cluster key [0-9a-f]{16}, this host has [0-9a-f]{16}/)
  t.notOk(JSON.stringify(record).includes(value))
  t.same((await b.containers()).filter(c => c.Labels[LABELS.instance] === '1'), [], 'no container')
  await b.unassign(web(1))
})

t.test('an image running as a numeric user reads its secret; the file is that user\'s, 0400', async t => {
  const value = SECRET(1)
  const hash = await assign(web(2), value, 1, key, { ...manifest, dockerflags: { User: '1000:1000' } })
  const c = await running(2, hash)
  t.equal((await dockerExec(c.Id, 'id', '-u')).trim(), '1000', 'the process runs as uid 1000')
  t.equal(await dockerExec(c.Id, 'cat', '/run/secrets/db-password'), value, 'and reads the secret')
  t.equal((await dockerExec(c.Id, 'stat', '-c', '%u:%g %a', '/run/secrets/db-password')).trim(), '1000:1000 400')
  await b.unassign(web(2))
  await waitFor(async () => (await b.containers()).filter(x => x.Labels[LABELS.instance] === '2').length === 0, { ...LONG, what: 'container removed' })
})
