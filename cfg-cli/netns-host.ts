// One "host" of a one-machine cluster: a network namespace wired to the lab bridge by
// a veth pair, with its own dockerd (own data root, exec root, socket and docker
// bridge). Everything it creates is written into a serialisable record, and teardown
// removes exactly what the record names: the processes by pid, the namespace, the
// veth, the mounts and directories under its own paths.
import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import Docker from 'dockerode'
import { run } from './run-command.js'
import { linkExists, type BridgeRecord } from './bridge.js'
import type { HostPlan } from './lab-plan.js'
import { isRunning, logTail, spawnDaemon, stopProcess, waitUntil, type ProcessRecord } from './processes.js'
import { unmountUnder } from './mounts.js'
import { ProvisionError } from './errors.js'

export interface DockerdRecord {
  process: ProcessRecord
  /** unix://<lab runDir>/<host>/docker.sock (/run/dokkaa/<lab>/… for `dokkaacfg up`, /run/dokkaa-test/<lab>/… in tests) */
  host: string
  socketPath: string
  dataRoot: string
  execRoot: string
  pidfile: string
}

export interface NetnsHostRecord extends HostPlan {
  bridge: string
  gateway: string
  /** Persistent data of this host (docker data root, logs). */
  dataDir: string
  /** Runtime dir of this host (sockets, exec root); short, because unix socket paths are capped at 108 bytes. */
  runDir: string
  dockerd?: DockerdRecord
}

export interface DockerdOptions {
  /** host:port of registries reachable over plain HTTP (the lab's local registry). */
  insecureRegistries?: string[]
  /** Seconds dockerd waits for containers on shutdown; small, since teardown removes them first. */
  shutdownTimeout?: number
  /** Extra dockerd flags. */
  extraArgs?: string[]
  startTimeoutMs?: number
}

/** Creates (or completes) the namespace and its link to the bridge. Idempotent. */
export async function createNetnsHost(bridge: BridgeRecord, plan: HostPlan, dirs: { dataDir: string; runDir: string }): Promise<NetnsHostRecord> {
  const rec: NetnsHostRecord = { ...plan, bridge: bridge.name, gateway: bridge.address, ...dirs }
  const ns = plan.netns
  if (!existsSync(`/var/run/netns/${ns}`)) await run('ip', ['netns', 'add', ns])
  if (!(await linkExists('eth0', ns))) {
    if (await linkExists(plan.vethHost)) await run('ip', ['link', 'del', plan.vethHost])
    await run('ip', ['link', 'add', plan.vethHost, 'type', 'veth', 'peer', 'name', plan.vethPeer])
    await run('ip', ['link', 'set', plan.vethPeer, 'netns', ns])
    await run('ip', ['-n', ns, 'link', 'set', plan.vethPeer, 'name', 'eth0'])
    await run('ip', ['-n', ns, 'addr', 'add', `${plan.address}/${plan.prefixLength}`, 'dev', 'eth0'])
  }
  await run('ip', ['link', 'set', plan.vethHost, 'master', bridge.name, 'up'])
  await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
  await run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up'])
  await run('ip', ['-n', ns, 'route', 'replace', 'default', 'via', bridge.address])
  mkdirSync(dirs.dataDir, { recursive: true })
  mkdirSync(dirs.runDir, { recursive: true })
  return rec
}

export function dockerClient(d: Pick<DockerdRecord, 'socketPath'>): Docker {
  return new Docker({ socketPath: d.socketPath, version: 'v1.41' })
}

/** Starts this host's dockerd inside its namespace and waits until it answers. Reuses a live one. */
export async function startDockerd(host: NetnsHostRecord, opts: DockerdOptions = {}): Promise<DockerdRecord> {
  if (host.dockerd && isRunning(host.dockerd.process)) return host.dockerd
  const socketPath = join(host.runDir, 'docker.sock')
  const dataRoot = join(host.dataDir, 'docker')
  const execRoot = join(host.runDir, 'exec')
  const pidfile = join(host.runDir, 'docker.pid')
  const configFile = join(host.dataDir, 'daemon.json')
  // Its own (empty) config file, so a /etc/docker/daemon.json meant for the main engine never applies here.
  writeFileSync(configFile, '{}\n')
  const argv = [
    'dockerd',
    '--config-file', configFile,
    '--data-root', dataRoot,
    '--exec-root', execRoot,
    '--pidfile', pidfile,
    '-H', `unix://${socketPath}`,
    '--bip', host.bip,
    // Port publishing needs Docker's NAT rules; they land in this namespace's own tables.
    '--iptables=true',
    '--ip-forward=true',
    '--shutdown-timeout', String(opts.shutdownTimeout ?? 3),
    ...(opts.insecureRegistries ?? []).flatMap(r => ['--insecure-registry', r]),
    ...(opts.extraArgs ?? []),
  ]
  const proc = spawnDaemon(argv, dataRoot, join(host.dataDir, 'dockerd.log'), { netns: host.netns })
  const rec: DockerdRecord = { process: proc, host: `unix://${socketPath}`, socketPath, dataRoot, execRoot, pidfile }
  host.dockerd = rec
  const docker = dockerClient(rec)
  const ok = await waitUntil(async () => {
    if (!isRunning(proc)) throw new ProvisionError(`dockerd of ${host.id} exited: ${logTail(proc.log)}`)
    await docker.ping()
    return true
  }, opts.startTimeoutMs ?? 60_000, 250).catch(e => { throw e })
  if (!isRunning(proc)) throw new ProvisionError(`dockerd of ${host.id} exited during start-up`, logTail(proc.log))
  if (!ok) throw new ProvisionError(`dockerd of ${host.id} did not answer on ${socketPath} within 60 s`, `see ${proc.log}`)
  return rec
}

/** Removes every container of this engine (fast, deterministic), then stops the daemon. */
export async function stopDockerd(d: DockerdRecord): Promise<void> {
  if (isRunning(d.process)) {
    const docker = dockerClient(d)
    try {
      const cs = await docker.listContainers({ all: true })
      await Promise.all(cs.map(c => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)))
    } catch { /* engine not answering: the daemon is stopped below anyway */ }
    await stopProcess(d.process, 20_000)
  }
}

/** Kills whatever still runs inside the namespace: only processes we started live there. */
export async function killNamespaceProcesses(netns: string): Promise<void> {
  if (!existsSync(`/var/run/netns/${netns}`)) return
  const pids = (await run('ip', ['netns', 'pids', netns], { allowFail: true })).stdout.split(/\s+/).filter(Boolean).map(Number)
  for (const pid of pids) { try { process.kill(pid, 'SIGKILL') } catch { /* already gone */ } }
  await waitUntil(async () => (await run('ip', ['netns', 'pids', netns], { allowFail: true })).stdout.trim() === '', 10_000, 100)
}

/** Tears the host down completely. Safe to call on a half-built host, and twice. */
export async function destroyNetnsHost(host: NetnsHostRecord): Promise<void> {
  if (host.dockerd) await stopDockerd(host.dockerd)
  await killNamespaceProcesses(host.netns)
  await unmountUnder([host.dataDir, host.runDir])
  if (existsSync(`/var/run/netns/${host.netns}`)) await run('ip', ['netns', 'del', host.netns])
  // Deleting the namespace destroys the peer, and with it the host-side end; this covers a
  // pair whose peer never made it into the namespace.
  if (await linkExists(host.vethHost)) await run('ip', ['link', 'del', host.vethHost], { allowFail: true })
  rmSync(host.dataDir, { recursive: true, force: true })
  rmSync(host.runDir, { recursive: true, force: true })
}
