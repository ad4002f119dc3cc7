// Issue 11, test 5: images from a private registry, as a user meets them. A real
// docker-registry with htpasswd auth (test/support/auth-registry.ts), a real conductor
// (scheduling too) and builder on a private etcd prefix, the real CLI. Without stored
// credentials the pull fails and the status says which command fixes it; after
// `dokkaacfg registry login` the instances run and record the digest they run, which `ps`
// shows; a new image pushed under the same tag is run after an update (`pull: always`),
// every instance on the same new digest; `pull: never` refuses an image the host lacks.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import type { InstanceRecord, Manifest, StatusRecord } from '../schemas/index.js'
import { startAuthRegistry } from '../test/support/auth-registry.js'
import { tempClusterKeyFile } from '../test/support/cluster-key.js'
import { TEST_IMAGE, TEST_IMAGE_V2 } from '../test/support/images.js'
import { startTsProcess } from '../test/support/processes.js'
import { startTcpProxy } from '../test/support/tcp-proxy.js'
import { waitFor } from '../test/support/wait-for.js'
import { startCluster, type Cluster } from '../test/deploys/cluster.js'
import { runCli, type CliResult } from './cli-test-support.js'

const LONG = { timeoutMs: 120_000, intervalMs: 200 }

interface Cli { run(args: string[], input?: string): Promise<CliResult> }

/** A builder on the cluster's etcd prefix with the cluster's key, and the CLI logged in to it as root. */
async function cliFor(t: Test, c: Cluster, keyFile: string): Promise<Cli> {
  const dir = mkdtempSync(join(tmpdir(), 'dokkaa-registry-cli-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const builder = startTsProcess('builder/main.ts', [
    '--etcd', c.etcd.hosts.join(','), '--prefix', c.etcd.prefix, '--listen', '127.0.0.1:0', '--data-dir', dir,
    '--log-level', 'warn', '--cluster-key-file', keyFile,
  ], {}, { t, name: 'builder' })
  const url = /console at (http:\/\/[^/]+)\/console\//.exec(await builder.waitForLine(/console at http/, { timeoutMs: 60_000 }))![1]!
  const passwordFile = join(dir, 'generated_password.txt')
  await waitFor(() => existsSync(passwordFile), { what: 'the generated password' })
  const basic = `Basic ${Buffer.from(`root:${readFileSync(passwordFile, 'utf8').trim()}`).toString('base64')}`
  const res = await fetch(`${url}/api/v1/tokens`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/json' }, body: '{"name":"registry-test"}' })
  const { token } = await res.json() as { token: string }
  const env = { ...process.env, DOKKAA_URL: url, DOKKAA_TOKEN: token, DOKKAA_CONFIG: join(dir, 'none.json') }
  return { run: (args, input = '') => runCli(args, env, input) }
}

t.test('a private registry: refused without credentials, pulled after registry login, a moved tag followed on update', { timeout: 400_000 }, async t => {
  const registry = await startAuthRegistry(t)
  const keyFile = tempClusterKeyFile(t)
  const c = await startCluster(t, { clusterKeyFile: keyFile })
  const cli = await cliFor(t, c, keyFile)
  const d1 = await registry.push(c.docker, TEST_IMAGE, 'team/app:live')
  const image = `${registry.host}/team/app:live`
  const web = (version: string): Manifest => ({ image, pull: 'always', scale: 2, services: { web: 80 }, env: { VERSION: version } })
  const status = async () => (await c.status('web')) ?? {} as Partial<StatusRecord>
  const instances = async (): Promise<InstanceRecord[]> => c.instances('web')

  // --- no credentials: the pull fails, and the status says what to run
  await c.put('web', web('1'))
  const refused = await waitFor(async () => {
    const s = await status()
    return s.problems?.some(p => p.includes('registry login')) && s
  }, { ...LONG, what: `a status naming registry login: ${c.output()}` })
  t.equal(refused.phase, 'Failed', 'nothing runs')
  t.match(refused.problems!.join('\n'), new RegExp(`cannot pull image ${image.replace(/[.]/g, '\\.')}: .*registry ${registry.host.replace(/[.]/g, '\\.')} wants credentials and none are stored for it: an admin stores them with dokkaacfg registry login ${registry.host.replace(/[.]/g, '\\.')} --username <user> --password-stdin`))

  // --- registry login: the conductor's next try pulls with the stored credentials
  const login = await cli.run(['registry', 'login', registry.host, '--username', registry.username, '--password-stdin'], `${registry.password}\n`)
  t.equal(login.status, 0, 'registry login', { stderr: login.stderr })
  t.notMatch(login.stdout + login.stderr, registry.password, 'the password is not echoed')
  const running = await waitFor(async () => {
    const s = await status()
    return s.phase === 'Running' && s.running === 2 && s
  }, { ...LONG, what: `web running after login: ${c.output()}` })
  t.same(running.problems, [], 'no problem left')
  const v1 = await instances()
  t.same(v1.map(i => i.imageDigest), [d1, d1], 'both instances record the digest they run')
  const ps = await cli.run(['ps', `${c.app}/web`])
  t.equal(ps.status, 0, 'ps', { stderr: ps.stderr })
  t.match(ps.stdout, d1.slice(0, 'sha256:'.length + 12), 'ps shows the digest')
  t.notMatch(c.output(), registry.password, 'the password never reaches the conductor\'s or ambassador\'s output')

  // --- a new image under the same tag; an update runs it, on every instance
  const d2 = await registry.push(c.docker, TEST_IMAGE_V2, 'team/app:live')
  t.not(d2, d1, 'the tag moved')
  await c.put('web', web('2'))
  const rolled = await waitFor(async () => {
    const s = await status()
    const all = await instances()
    // The status of the new spec (right after the put it still shows the old one, running).
    return s.phase === 'Running' && s.specHash !== running.specHash && all.length === 2 && all.every(i => i.specHash === s.specHash && i.state === 'running') && all
  }, { ...LONG, what: `web rolled to version 2: ${c.output()}` })
  t.same(rolled.map(i => i.imageDigest), [d2, d2], 'the update runs the new digest, on both instances')
  const ids = await Promise.all(rolled.map(i => c.docker.getContainer(i.containerId).inspect().then(x => x.Image)))
  t.equal(new Set(ids).size, 1, 'one image under both containers')
  const local = await c.docker.getImage(`${registry.host}/team/app@${d2}`).inspect()
  t.equal(ids[0], local.Id, 'and it is the image of the new digest')

  // --- the tag moves again, and a container of this spec is made anew: it runs the pinned digest
  const assigned = Object.entries(await c.etcd.client.getAll().prefix(c.keys.assignRoot).strings()).filter(([k]) => k.includes(`/${c.app}/web/`))
  t.same(assigned.map(([, v]) => (JSON.parse(v) as { imageDigest?: string }).imageDigest), [d2, d2], 'the assignments pin the digest the spec runs')
  const d3 = await registry.push(c.docker, TEST_IMAGE, 'team/app:live')
  t.not(d3, d2, 'the tag moved again')
  // The old containers drain and go first: the record must speak of the new one only.
  await waitFor(async () => (await c.containers('web')).length === 2, { ...LONG, what: 'the old containers retired' })
  const first = async () => JSON.parse(await c.etcd.client.get(c.keys.instance({ app: c.app, name: 'web', index: 0 })).string() ?? 'null') as InstanceRecord | null
  const gone = (await first())!.containerId
  await c.docker.getContainer(gone).remove({ force: true })
  const remade = await waitFor(async () => {
    const i = await first()
    return i && i.containerId !== gone && i.specHash === rolled[0]!.specHash && i.state === 'running' && i
  }, { ...LONG, what: 'instance 0 made anew' }).catch(err => { t.comment(c.output()); throw err })
  t.equal(remade.imageDigest, d2, 'a container made anew for the same spec runs the pinned digest, not the moved tag (pull: always)')

  // --- pull: never, for an image the host does not have
  await c.put('offline', { image: `${registry.host}/team/absent:1`, pull: 'never' })
  const never = await waitFor(async () => {
    const s = await c.status('offline')
    return s?.problems.some(p => p.includes('"pull": "never"')) && s
  }, { ...LONG, what: 'the pull: never problem' })
  t.match(never.problems.join('\n'), /image 127\.0\.0\.1:\d+\/team\/absent:1 is not on host .* and the manifest says "pull": "never": put it there/)

  // --- wrong credentials: the status says they were refused
  const wrong = await cli.run(['registry', 'login', registry.host, '--username', registry.username, '--password-stdin'], 'not-the-password\n')
  t.equal(wrong.status, 0, 'storing them works (the registry is not asked)')
  await c.put('again', { image, pull: 'always' })
  const bad = await waitFor(async () => {
    const s = await c.status('again')
    return s?.problems.some(p => p.includes('refused the credentials')) && s
  }, { ...LONG, what: 'refused credentials in the status' })
  t.match(bad.problems.join('\n'), `the registry refused the credentials stored for ${registry.host} (user ${registry.username})`)
  t.match((await status()).phase, 'Running', 'what runs keeps running')
})

t.test('pull progress: the instance record and the status say how far a slow pull is', { timeout: 300_000 }, async t => {
  const registry = await startAuthRegistry(t)
  // The registry behind a slow link: a layer of 600 kB takes some 4 s to come.
  const slow = await startTcpProxy(`http://${registry.host}`, { bytesPerSecond: 150_000 })
  t.teardown(() => slow.close())
  const slowHost = new URL(slow.url).host
  const keyFile = tempClusterKeyFile(t)
  const c = await startCluster(t, { clusterKeyFile: keyFile })
  const cli = await cliFor(t, c, keyFile)
  const big = await uniqueImage(t, c, 600_000)
  await registry.push(c.docker, big, 'team/big:v1')
  await c.docker.getImage(big).remove()
  const login = await cli.run(['registry', 'login', slowHost, '--username', registry.username, '--password-stdin'], registry.password)
  t.equal(login.status, 0, 'registry login', { stderr: login.stderr })

  await c.put('big', { image: `${slowHost}/team/big:v1`, command: ['sleep', '600'] })
  const seen = { record: undefined as InstanceRecord | undefined, status: undefined as string | undefined }
  await waitFor(async () => {
    const [i] = await c.instances('big')
    if (i?.state === 'pulling' && /\d of \d+ layers, [\d.]+ of [\d.]+ MB/.test(i.pullProgress ?? '')) seen.record ??= i
    const line = (await c.status('big'))?.pulling?.[0]
    if (line && /MB$/.test(line)) seen.status ??= line
    return i?.state === 'running'
  }, { ...LONG, intervalMs: 100, what: `the big image pulled and running: ${c.output()}` })
  t.match(seen.record, { state: 'pulling', containerId: '', pullProgress: new RegExp(`^${slowHost}/team/big:v1: \\d of \\d+ layers, [\\d.]+ of [\\d.]+ MB$`) }, 'the record while pulling')
  t.match(seen.status, new RegExp(`^instance 0 on ${c.hostId}: pulling ${slowHost}/team/big:v1: \\d of \\d+ layers, [\\d.]+ of [\\d.]+ MB$`), 'the status while pulling')
  const done = await c.status('big')
  t.equal(done?.pulling, undefined, 'nothing pulling once it runs')
  t.equal((await c.instances('big'))[0]?.pullProgress, undefined)
})

/** An image with a layer of `bytes` random bytes no other image has, tagged locally. */
async function uniqueImage(t: Test, c: Cluster, bytes: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'dokkaa-big-image-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'blob'), randomBytes(bytes))
  writeFileSync(join(dir, 'Dockerfile'), `FROM ${TEST_IMAGE}\nCOPY blob /blob\n`)
  const tag = `dokkaa/big-${randomBytes(4).toString('hex')}:v1`
  const stream = await c.docker.buildImage({ context: dir, src: ['Dockerfile', 'blob'] }, { t: tag })
  const out = await new Promise<{ error?: string }[]>((resolve, reject) => c.docker.modem.followProgress(stream, (err: Error | null, lines: { error?: string }[]) => (err ? reject(err) : resolve(lines))))
  const failed = out.find(o => o.error)?.error
  if (failed) throw new Error(`build ${tag}: ${failed}`)
  t.teardown(() => c.docker.getImage(tag).remove({ force: true }).catch(() => {}))
  return tag
}
