// Volumes with a real conductor and Docker, the test playing the scheduler. An instance
// counts its own starts in its named volume (/data/n): the count goes on across a
// replacement with a new spec (stop-first although the assignment asks for nothing, since
// two containers must never write one volume: Docker's events show the old one destroyed
// before the new one is created), a `docker kill`, a conductor SIGKILLed while the host
// "rebooted" (its container stopped), and a scale-down and back (the index's own data
// returns). The volume has the documented name and labels, and outlives scale-down and
// delete (retain). A bind of a host directory read-only: readable, not writable; a bind
// whose directory is missing: the instance record says so in Docker's words, and once the
// directory exists the instance runs. The bed removes the test's containers and volumes.
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { Manifest } from '../../schemas/index.js'
import { dockerVolumeName, LABELS } from '../../schemas/index.js'
import { TEST_IMAGE } from '../../test/support/images.js'
import { waitFor } from '../../test/support/wait-for.js'
import { bed, dockerExec, LONG, watchDockerEvents } from './harness.js'

process.env.DOCKER_API_VERSION ??= '1.41'
const b = bed(t)
const db = (index: number) => ({ app: b.app, name: 'db', index })
const HTTPD = 'exec httpd -f -p 80 -h /www'

/** Adds one to /data/n at each start of the container, then serves. */
function counter(env: Record<string, string> = {}): Manifest {
  return { image: TEST_IMAGE, env, command: `n=$(cat /data/n 2>/dev/null || echo 0); echo $((n+1)) > /data/n; ${HTTPD}`, volumes: { data: '/data' }, stopGracePeriod: '1s' }
}

/** The count, once this start's shell has written it (then PID 1 is httpd). */
async function countIn(id: string): Promise<number> {
  await waitFor(async () => (await dockerExec(id, 'cat', '/proc/1/comm')).trim() === 'httpd', { ...LONG, what: `container ${id.slice(0, 12)} past its counter` })
  return Number((await dockerExec(id, 'cat', '/data/n')).trim())
}

const mine = async (name: string, index: number) =>
  (await b.containers()).filter(c => c.Labels[LABELS.name] === name && c.Labels[LABELS.instance] === String(index))

const startedAt = async (id: string) => (await b.docker.getContainer(id).inspect()).State.StartedAt

/** Waits until the container runs again after `before` (a start later than that one). */
async function restarted(id: string, before: string): Promise<void> {
  await waitFor(async () => {
    const s = (await b.docker.getContainer(id).inspect()).State
    return s.Running && s.StartedAt !== before
  }, { ...LONG, what: `container ${id.slice(0, 12)} running again` })
}

const volumeExists = (name: string) => b.docker.getVolume(name).inspect().then(() => true, () => false)

let conductor: ReturnType<typeof b.start>
t.before(async () => {
  conductor = b.start()
})

t.test('a named volume per instance keeps its data: replacement (stop-first), kill, conductor restart, scale-down and back, delete', async t => {
  await b.assign(db(0), counter())
  await b.assign(db(1), counter())
  const first0 = await b.running(0, 'db')
  const first1 = await b.running(1, 'db')
  t.equal(await countIn(first0.Id), 1, 'instance 0 started once')
  t.equal(await countIn(first1.Id), 1, 'instance 1 started once, in a volume of its own')

  const name0 = dockerVolumeName(db(0), 'data')
  t.equal(name0, `${b.app}---db---0---data`, 'the documented name')
  const vol = await b.docker.getVolume(name0).inspect()
  t.same(vol.Labels, {
    [LABELS.app]: b.app, [LABELS.name]: 'db', [LABELS.instance]: '0', [LABELS.volume]: 'data', [LABELS.host]: b.hostId,
  }, 'labelled: whose it is')
  t.match((await b.docker.getContainer(first0.Id).inspect()).Mounts, [{ Type: 'volume', Name: name0, Destination: '/data', RW: true }])

  // (a) A new spec, and the assignment says nothing of the order: stop-first all the same.
  const events = await watchDockerEvents(t, b.docker, b.hostId)
  await b.assign(db(0), counter({ V: '2' }))
  const second = await waitFor(async () => {
    const cs = await mine('db', 0)
    return cs.length === 1 && cs[0]!.Id !== first0.Id && cs[0]!.State === 'running' ? cs[0] : undefined
  }, { ...LONG, what: 'the replacement running' })
  const order = events.all.filter(e => (e.id === first0.Id && e.action === 'destroy') || (e.id === second.Id && e.action === 'create'))
  t.same(order.map(e => e.action), ['destroy', 'create'], 'the old container destroyed before the new one was created')
  t.equal(await countIn(second.Id), 2, 'the replacement found the data')

  // (b) Killed: the conductor starts the same container again, on the same volume.
  const before = await startedAt(second.Id)
  await b.docker.getContainer(second.Id).kill()
  await restarted(second.Id, before)
  t.equal(await countIn(second.Id), 3, 'after a kill')

  // (c) The conductor SIGKILLed, and meanwhile the host "reboots": its containers stop.
  await conductor.stop('SIGKILL')
  const beforeReboot = await startedAt(second.Id)
  await b.docker.getContainer(second.Id).stop({ t: 0 })
  conductor = b.start()
  await restarted(second.Id, beforeReboot)
  t.equal(await countIn(second.Id), 4, 'after a conductor restart and a reboot')

  // (d) Scale 2 -> 1: instance 1's container goes, its volume stays; 1 -> 2: its own data is back.
  await b.unassign(db(1))
  await waitFor(async () => (await mine('db', 1)).length === 0, { ...LONG, what: 'instance 1 removed' })
  t.ok(await volumeExists(dockerVolumeName(db(1), 'data')), 'scale-down kept instance 1\'s volume')
  await b.assign(db(1), counter())
  const back1 = await b.running(1, 'db')
  t.not(back1.Id, first1.Id, 'a new container')
  t.equal(await countIn(back1.Id), 2, 'with instance 1\'s data (not instance 0\'s)')
  t.equal(await countIn(second.Id), 4, 'instance 0 untouched')

  // Delete: every container goes, the volumes stay (retain).
  await b.unassign(db(0))
  await b.unassign(db(1))
  await waitFor(async () => (await b.containers()).filter(c => c.Labels[LABELS.name] === 'db').length === 0, { ...LONG, what: 'all containers removed' })
  t.same((await b.volumes()).map(v => v.Name).filter(n => n.includes('---db---')).sort(), [name0, dockerVolumeName(db(1), 'data')], 'both volumes kept')
})

t.test('a read-only bind of a host directory: read inside the container, a write fails', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'dokkaa-bind-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'hello'), 'from the host\n')
  await b.assign({ app: b.app, name: 'reader', index: 0 }, {
    image: TEST_IMAGE, command: HTTPD, volumes: { conf: { path: '/conf', hostPath: dir, readOnly: true } }, stopGracePeriod: '1s',
  })
  const c = await b.running(0, 'reader')
  t.equal((await dockerExec(c.Id, 'cat', '/conf/hello')).trim(), 'from the host')
  const write = await dockerExec(c.Id, 'sh', '-c', 'echo x > /conf/new').then(() => 'written', (e: Error & { stderr?: string }) => e.stderr ?? e.message)
  t.match(write, /Read-only file system/, 'a write fails')
  t.same(readdirSync(dir), ['hello'], 'nothing reached the host directory')
  t.match((await b.docker.getContainer(c.Id).inspect()).Mounts, [{ Type: 'bind', Source: dir, Destination: '/conf', RW: false }])
  t.same((await b.volumes()).filter(v => v.Labels?.[LABELS.name] === 'reader'), [], 'a bind makes no Docker volume')
})

t.test('a bind whose host directory is missing: the record says so in Docker\'s words; once it exists, the instance runs', async t => {
  const dir = join(tmpdir(), `dokkaa-missing-${randomBytes(4).toString('hex')}`)
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const ref = { app: b.app, name: 'nodir', index: 0 }
  await b.assign(ref, { image: TEST_IMAGE, command: HTTPD, volumes: { logs: { path: '/logs', hostPath: dir } }, stopGracePeriod: '1s' })
  const failed = await waitFor(async () => {
    const r = await b.record(ref)
    return r?.state === 'failed' && r.error ? r : undefined
  }, { ...LONG, what: 'the record failed, with an error' })
  t.equal(failed.error, `create container ${b.app}---nodir: invalid mount config for type "bind": bind source path does not exist: ${dir}` +
    ` (volume "logs": its hostPath ${dir} must exist on host ${b.hostId}; create it there, the instance is retried)`)
  t.equal(failed.containerId, '', 'no container')

  mkdirSync(dir)
  const c = await b.running(0, 'nodir')
  const ok = await waitFor(async () => { const r = await b.record(ref); return r?.state === 'running' ? r : undefined }, { ...LONG, what: 'the record running' })
  t.equal(ok.containerId, c.Id)
  t.equal(ok.error, undefined, 'the error is gone')
  await dockerExec(c.Id, 'sh', '-c', 'echo written > /logs/out')
  t.same(readdirSync(dir), ['out'], 'a writable bind writes the host directory')
})
