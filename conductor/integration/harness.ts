// What the conductor's integration tests share: a real dokkaa-conductor process on a
// private etcd prefix and a unique host id, assignments written as the scheduler
// would write them, and the containers of that host id found (and removed) by label.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import type Docker from 'dockerode'
import type { Assignment, DesiredRunState, InstanceRecord, InstanceRef, Manifest } from '../../schemas/index.js'
import { containerSpec, KeyLayout, LABELS, specHash, validateManifest } from '../../schemas/index.js'
import { linkPortsFor } from '../../test/support/port-allocation.js'
import { listByLabel, removeContainersByLabel, testDocker } from '../../test/support/docker.js'
import { testEtcd, type TestEtcd } from '../../test/support/etcd.js'
import { startTsProcess, type StartedProcess } from '../../test/support/processes.js'
import type { TeardownHost } from '../../test/support/teardown-host.js'
import { waitFor } from '../../test/support/wait-for.js'

export const LONG = { timeoutMs: 60_000, intervalMs: 100 }

export interface Bed {
  etcd: TestEtcd
  keys: KeyLayout
  hostId: string
  docker: Docker
  /** A unique app name for this test. */
  app: string
  start(extra?: string[]): StartedProcess
  assign(ref: InstanceRef, manifest: Manifest, opts?: { run?: DesiredRunState; restartGeneration?: number }): Promise<void>
  unassign(ref: InstanceRef): Promise<void>
  containers(): Promise<Docker.ContainerInfo[]>
  /** The one container of an instance, once it is in `state` (default running). */
  running(index: number, name: string, state?: string): Promise<Docker.ContainerInfo>
  record(ref: InstanceRef): Promise<InstanceRecord | undefined>
}

/** Sets up etcd prefix, host id and cleanup (processes first, then containers, then keys). */
export function bed(t: TeardownHost & { teardown(fn: () => unknown): void }): Bed {
  const etcd = testEtcd(t)
  const keys = new KeyLayout(etcd.prefix)
  const hostId = `it-${randomBytes(4).toString('hex')}`
  const docker = testDocker()
  const app = `app${randomBytes(3).toString('hex')}`
  const procs: StartedProcess[] = []
  t.teardown(async () => {
    for (const p of procs) await p.stop()
    await removeContainersByLabel(LABELS.host, hostId)
  })
  return {
    etcd, keys, hostId, docker, app,
    start(extra = []) {
      const p = startTsProcess('conductor/main.ts', [
        '--etcd', etcd.hosts.join(','), '--prefix', etcd.prefix, '--host-id', hostId, '--no-scheduler',
        '--host-address', '127.0.0.1', '--resync', '2', ...extra,
      ], {}, { name: `conductor ${hostId}` })
      procs.push(p)
      return p
    },
    async assign(ref, manifest, opts = {}) {
      const v = validateManifest(manifest)
      if (!v.ok) throw new Error(`test manifest invalid: ${JSON.stringify(v.errors)}`)
      const spec = containerSpec(v.manifest)
      const a: Assignment = { spec, specHash: specHash(spec), revision: 1, ...opts }
      // The scheduler's part: a link's stable port, claimed and carried in the assignment.
      if (spec.links?.length) a.linkPorts = await linkPortsFor(etcd.client, keys, ref.app, spec.links)
      await etcd.client.put(keys.assignment(hostId, ref)).value(JSON.stringify(a))
    },
    async unassign(ref) {
      await etcd.client.delete().key(keys.assignment(hostId, ref))
    },
    containers: () => listByLabel(LABELS.host, hostId, docker),
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
