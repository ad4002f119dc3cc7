// What the conductor's integration tests share: a real dokkaa-conductor process on a
// private etcd prefix and a unique host id, assignments written as the scheduler
// would write them, and the containers of that host id found (and removed) by label.
// And what they watch, the way a user could: Docker's events of the host's containers
// (which signals a stop sent, the exit code), a container's output followed live (a
// graceful stop ends with the container removed), the history of an etcd key (a SkyDNS
// record withdrawn and written again, every health a record said).
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { PassThrough } from 'node:stream'
import { promisify } from 'node:util'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import type Docker from 'dockerode'
import type { Etcd3 } from 'etcd3'
import type { Assignment, DesiredRunState, InstanceRecord, InstanceRef, Manifest } from '../../schemas/index.js'
import { containerSpec, KeyLayout, LABELS, specHash, validateManifest } from '../../schemas/index.js'
import { linkPortsFor } from '../../test/support/port-allocation.js'
import { listByLabel, removeContainersByLabel, testDocker } from '../../test/support/docker.js'
import { testEtcd, type TestEtcd } from '../../test/support/etcd.js'
import { startTsProcess, type StartedProcess } from '../../test/support/processes.js'
import { tempClusterKeyFile } from '../../test/support/cluster-key.js'
import type { TeardownHost } from '../../test/support/teardown-host.js'
import { waitFor } from '../../test/support/wait-for.js'

export const LONG = { timeoutMs: 60_000, intervalMs: 100 }

export interface AssignOptions {
  run?: DesiredRunState
  restartGeneration?: number
  order?: 'stop-first'
  previous?: Manifest
}

/** The test cluster's policy: volumes may bind temp directories (a test makes its own). */
const POLICY = { allowHostPaths: [tmpdir()] }

function specOf(manifest: Manifest): { spec: Assignment['spec']; specHash: string } {
  const v = validateManifest(manifest, POLICY)
  if (!v.ok) throw new Error(`test manifest invalid: ${JSON.stringify(v.errors)}`)
  const spec = containerSpec(v.manifest)
  return { spec, specHash: specHash(spec) }
}

export interface Bed {
  etcd: TestEtcd
  keys: KeyLayout
  hostId: string
  docker: Docker
  /** A unique app name for this test. */
  app: string
  /** The cluster key the conductors get (a test's own, never the installed one). */
  clusterKeyFile: string
  start(extra?: string[]): StartedProcess
  /** Writes the assignment as the scheduler would, and returns its spec hash. `previous`: a
   * manifest whose spec goes into the assignment's `previous` (a rollout's last good one). */
  assign(ref: InstanceRef, manifest: Manifest, opts?: AssignOptions): Promise<string>
  unassign(ref: InstanceRef): Promise<void>
  containers(): Promise<Docker.ContainerInfo[]>
  /** The Docker volumes labelled with this host id. */
  volumes(): Promise<Docker.VolumeInspectInfo[]>
  /** The one container of an instance, once it is in `state` (default running). */
  running(index: number, name: string, state?: string): Promise<Docker.ContainerInfo>
  record(ref: InstanceRef): Promise<InstanceRecord | undefined>
}

/** Sets up etcd prefix, host id and cleanup (processes first, then containers, then the
 * named volumes the conductor made for them — it never removes one itself —, then keys). */
export function bed(t: TeardownHost & { teardown(fn: () => unknown): void }): Bed {
  const etcd = testEtcd(t)
  const keys = new KeyLayout(etcd.prefix)
  const hostId = `it-${randomBytes(4).toString('hex')}`
  const docker = testDocker()
  const app = `app${randomBytes(3).toString('hex')}`
  const procs: StartedProcess[] = []
  const secretsDir = join(tmpdir(), `dokkaa-test-secrets-${hostId}`)
  const clusterKeyFile = tempClusterKeyFile(t)
  t.teardown(async () => {
    for (const p of procs) await p.stop()
    await removeContainersByLabel(LABELS.host, hostId)
    await removeVolumesByLabel(docker, LABELS.host, hostId)
    rmSync(secretsDir, { recursive: true, force: true })
  })
  return {
    etcd, keys, hostId, docker, app, clusterKeyFile,
    start(extra = []) {
      const p = startTsProcess('conductor/main.ts', [
        '--etcd', etcd.hosts.join(','), '--prefix', etcd.prefix, '--host-id', hostId, '--no-scheduler',
        // A short drain: these tests watch containers, not ambassadors (graceful.int.test.ts drains).
        '--host-address', '127.0.0.1', '--resync', '2', '--drain-delay', '300ms',
        // Never the installed Dokkaa's /run/dokkaa/secrets or /etc/dokkaa/cluster.key (a test
        // passing its own wins: the last one counts).
        '--secrets-dir', secretsDir, '--cluster-key-file', clusterKeyFile, ...extra,
      ], {}, { name: `conductor ${hostId}` })
      procs.push(p)
      return p
    },
    async assign(ref, manifest, opts = {}) {
      const { previous, ...fields } = opts
      const { spec, specHash } = specOf(manifest)
      const a: Assignment = { spec, specHash, revision: 1, ...fields }
      if (previous) a.previous = { ...specOf(previous), revision: 1 }
      // The scheduler's part: a link's stable port, claimed and carried in the assignment.
      if (spec.links?.length) a.linkPorts = await linkPortsFor(etcd.client, keys, ref.app, spec.links)
      await etcd.client.put(keys.assignment(hostId, ref)).value(JSON.stringify(a))
      return specHash
    },
    async unassign(ref) {
      await etcd.client.delete().key(keys.assignment(hostId, ref))
    },
    containers: () => listByLabel(LABELS.host, hostId, docker),
    volumes: () => volumesByLabel(docker, LABELS.host, hostId),
    async running(index, name, state = 'running') {
      return waitFor(async () => {
        const mine = (await listByLabel(LABELS.host, hostId, docker))
          .filter(c => c.Labels[LABELS.name] === name && c.Labels[LABELS.instance] === String(index))
        return mine.length === 1 && mine[0]!.State === state ? mine[0] : undefined
      }, { ...LONG, what: `instance ${name}/${index} ${state}` })
    },
    async record(ref) {
      const v = await etcd.client.get(keys.instance(ref)).string()
      return v ? JSON.parse(v) as InstanceRecord : undefined
    },
  }
}

async function volumesByLabel(docker: Docker, label: string, value: string): Promise<Docker.VolumeInspectInfo[]> {
  const { Volumes } = await docker.listVolumes({ filters: { label: [`${label}=${value}`] } }) as { Volumes: Docker.VolumeInspectInfo[] | null }
  return Volumes ?? []
}

/** Removes the Docker volumes with `label=value` (their containers must be gone); one already gone is not an error. */
export async function removeVolumesByLabel(docker: Docker, label: string, value: string): Promise<number> {
  const found = await volumesByLabel(docker, label, value)
  await Promise.all(found.map(async v => {
    try {
      await docker.getVolume(v.Name).remove()
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err
    }
  }))
  return found.length
}

const exec = promisify(execFile)

/** `docker exec <id> <cmd...>` through the CLI, pinned to the engine's API version. */
export async function dockerExec(id: string, ...cmd: string[]): Promise<string> {
  const { stdout } = await exec('docker', ['exec', id, ...cmd], { env: { ...process.env, DOCKER_API_VERSION: '1.41' } })
  return stdout
}

export async function httpGet(port: number, path = '/'): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`)
  return (await res.text()).trim()
}

type Teardown = { teardown(fn: () => unknown): void }

export interface DockerEvent {
  action: string
  id: string
  /** kill: the signal's number ("15", "9"). */
  signal?: string
  /** die: the exit code. */
  exitCode?: number
}

export interface DockerEvents {
  all: DockerEvent[]
  of(id: string): DockerEvent[]
  /** Called with each event as it comes (after it is recorded). */
  onEvent(fn: (e: DockerEvent) => void): void
}

/** Every container event of the host's containers from now on. */
export async function watchDockerEvents(t: Teardown, docker: Docker, hostId: string): Promise<DockerEvents> {
  const stream = await docker.getEvents({ filters: { type: ['container'], label: [`${LABELS.host}=${hostId}`] } }) as NodeJS.ReadableStream & { destroy(): void }
  t.teardown(() => stream.destroy())
  const all: DockerEvent[] = []
  const listeners: ((e: DockerEvent) => void)[] = []
  let rest = ''
  stream.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n')
    rest = lines.pop() ?? ''
    for (const line of lines.filter(Boolean)) {
      const e = JSON.parse(line) as { Action: string; Actor: { ID: string; Attributes: Record<string, string> } }
      const attrs = e.Actor.Attributes
      const event: DockerEvent = { action: e.Action, id: e.Actor.ID }
      if (attrs['signal'] !== undefined) event.signal = attrs['signal']
      if (attrs['exitCode'] !== undefined) event.exitCode = Number(attrs['exitCode'])
      all.push(event)
      for (const fn of listeners) fn(event)
    }
  })
  return { all, of: id => all.filter(e => e.id === id), onEvent: fn => { listeners.push(fn) } }
}

/** The kill signals Docker sent a container, in order, and how it exited. */
export function stopOf(events: DockerEvents, id: string): { signals: string[]; exitCode?: number } {
  const mine = events.of(id)
  return { signals: mine.filter(e => e.action === 'kill').map(e => e.signal ?? '?'), exitCode: mine.find(e => e.action === 'die')?.exitCode }
}

/** A container's stdout and stderr as they come, kept after the container is gone. */
export async function followOutput(t: Teardown, docker: Docker, id: string): Promise<{ text(): string }> {
  const stream = await docker.getContainer(id).logs({ follow: true, stdout: true, stderr: true }) as unknown as NodeJS.ReadableStream & { destroy(): void }
  t.teardown(() => stream.destroy())
  const out = new PassThrough()
  docker.modem.demuxStream(stream, out, out)
  let text = ''
  out.on('data', (chunk: Buffer) => { text += chunk.toString() })
  return { text: () => text }
}

/** Every value an etcd key takes from now on (undefined: deleted). */
export async function watchKey(t: Teardown, client: Etcd3, key: string): Promise<{ history: (string | undefined)[] }> {
  const history: (string | undefined)[] = []
  const watcher = await client.watch().key(key).create()
  t.teardown(() => watcher.cancel())
  watcher.on('put', kv => history.push(kv.value.toString()))
  watcher.on('delete', () => history.push(undefined))
  return { history }
}
