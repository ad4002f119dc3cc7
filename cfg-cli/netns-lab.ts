// A lab: one bridge and any number of namespace hosts, each with its own dockerd.
// This is the piece other components' tests import to get several "machines" on one
// machine:
//
//   const lab = NetnsLab.define({ name: 'dkt' + rand, subnet: '10.213.57.0/24', dataDir, runDir })
//   t.teardown(() => lab.destroy())            // registered before anything exists
//   await lab.ensureBridge()                   // bridge + firewall rule
//   const h1 = await lab.addHost(1)            // netns + dockerd
//   await lab.copyImage('dokkaa/busybox:test') // into every host's engine
//   ... h1.address, h1.dockerd.socketPath, lab.exec(1, 'wget', [...]) ...
//   await lab.destroy()                        // leaves nothing behind
//
// Tests give their own dataDir (a temp dir) and runDir (under /run/dokkaa-test/): the
// defaults are the real `dokkaacfg up`'s, and /run/dokkaa belongs to an installed Dokkaa.
//
// Its state is plain JSON, so `dokkaacfg up` stores it and `down` (another process)
// tears down from it.
import { dirname, join } from 'node:path'
import { readdirSync, rmdirSync, rmSync } from 'node:fs'
import Docker from 'dockerode'
import { bridgePlan, hostPlan, validateLabSpec, type LabSpec } from './lab-plan.js'
import { createBridge, forwardRuleFor, removeBridge, type BridgeRecord } from './bridge.js'
import { createNetnsHost, destroyNetnsHost, dockerClient, startDockerd, type DockerdOptions, type NetnsHostRecord } from './netns-host.js'
import { copyImage } from './image-copy.js'
import { runInNetns, type CommandResult, type RunOptions } from './run-command.js'
import { NotFoundError } from './errors.js'
import { DEFAULT_RUN_DIR } from './state-file.js'

export interface LabOptions extends Partial<Omit<LabSpec, 'name'>> {
  name: string
  /** Persistent data (docker data roots, logs). Default /var/lib/dokkaa-cfg/<name>. */
  dataDir?: string
  /** Runtime files (sockets, exec roots). Default /run/dokkaa-cfg/<name>. */
  runDir?: string
  dockerd?: DockerdOptions
}

export interface LabState {
  spec: LabSpec
  dataDir: string
  runDir: string
  bridge?: BridgeRecord
  hosts: Record<string, NetnsHostRecord>
}

export const DEFAULT_SUBNET = '10.213.0.0/24'
export const DEFAULT_BIP_BASE = '172.30'

export class NetnsLab {
  /** Set by destroy(): a test body still running after a timeout (tap runs the teardown
   * then) must not create hosts or a bridge again behind the teardown's back. */
  private destroyed = false

  private constructor(readonly state: LabState, private readonly dockerdOptions: DockerdOptions = {}) {}

  /** The lab, with nothing created yet: register `destroy()` for cleanup, then `ensureBridge()`. */
  static define(opts: LabOptions): NetnsLab {
    const spec: LabSpec = { name: opts.name, subnet: opts.subnet ?? DEFAULT_SUBNET, bipBase: opts.bipBase ?? DEFAULT_BIP_BASE }
    validateLabSpec(spec)
    return new NetnsLab({
      spec,
      dataDir: opts.dataDir ?? join('/var/lib/dokkaa-cfg', spec.name),
      runDir: opts.runDir ?? join(DEFAULT_RUN_DIR, spec.name),
      hosts: {},
    }, opts.dockerd)
  }

  /** Creates the bridge (idempotently) and returns the lab. A failure half-way leaves
   * things behind that only the lab knows of: tests use define() + ensureBridge(). */
  static async create(opts: LabOptions): Promise<NetnsLab> {
    const lab = NetnsLab.define(opts)
    await lab.ensureBridge()
    return lab
  }

  /** Rebuilds a lab from state saved by another process (to extend or tear it down). */
  static fromState(state: LabState, dockerd?: DockerdOptions): NetnsLab {
    return new NetnsLab(state, dockerd)
  }

  get bridge(): BridgeRecord {
    if (!this.state.bridge) throw new NotFoundError(`lab ${this.state.spec.name} has no bridge`)
    return this.state.bridge
  }

  async ensureBridge(): Promise<BridgeRecord> {
    this.assertNotDestroyed()
    // Recorded before creation, so a failure half-way is still torn down by destroy().
    this.state.bridge ??= { ...bridgePlan(this.state.spec), forwardRule: forwardRuleFor(bridgePlan(this.state.spec).name) }
    this.state.bridge = await createBridge(bridgePlan(this.state.spec))
    return this.state.bridge
  }

  hosts(): NetnsHostRecord[] {
    return Object.values(this.state.hosts).sort((a, b) => a.index - b.index)
  }

  host(index: number): NetnsHostRecord & { dockerd: NonNullable<NetnsHostRecord['dockerd']> } {
    const h = this.hosts().find(x => x.index === index)
    if (!h?.dockerd) throw new NotFoundError(`lab ${this.state.spec.name} has no running host ${index}`)
    return h as NetnsHostRecord & { dockerd: NonNullable<NetnsHostRecord['dockerd']> }
  }

  /** Adds host `index` (namespace, veth, dockerd); returns the existing one if it is there. */
  async addHost(index: number, opts: { dockerd?: boolean } = {}): Promise<NetnsHostRecord> {
    this.assertNotDestroyed()
    const plan = hostPlan(this.state.spec, index)
    const dirs = { dataDir: join(this.state.dataDir, 'hosts', plan.id), runDir: join(this.state.runDir, plan.id) }
    // Record first, so a failure half-way is still torn down.
    const prior = this.state.hosts[plan.id]
    this.state.hosts[plan.id] = { ...plan, bridge: this.bridge.name, gateway: this.bridge.address, ...dirs, dockerd: prior?.dockerd }
    const rec = await createNetnsHost(this.bridge, plan, dirs)
    rec.dockerd = prior?.dockerd
    this.state.hosts[plan.id] = rec
    if (opts.dockerd !== false) await startDockerd(rec, this.dockerdOptions)
    return rec
  }

  async removeHost(index: number): Promise<void> {
    const h = this.hosts().find(x => x.index === index)
    if (!h) return
    await destroyNetnsHost(h)
    delete this.state.hosts[h.id]
  }

  docker(index: number): Docker {
    return dockerClient(this.host(index).dockerd)
  }

  /** Copies an image from an engine (default: the machine's main one) into every host, or the ones listed. */
  async copyImage(ref: string, from: Docker = new Docker({ socketPath: '/var/run/docker.sock', version: 'v1.41' }), indexes?: number[]): Promise<void> {
    const targets = indexes ?? this.hosts().filter(h => h.dockerd).map(h => h.index)
    for (const i of targets) await copyImage(from, this.docker(i), ref)
  }

  /** Runs a command of the host's filesystem inside host `index`'s network namespace. */
  exec(index: number, cmd: string, args: string[], opts?: RunOptions): Promise<CommandResult> {
    const h = this.hosts().find(x => x.index === index)
    if (!h) throw new NotFoundError(`lab ${this.state.spec.name} has no host ${index}`)
    return runInNetns(h.netns, cmd, args, opts)
  }

  /** GETs `url` from inside host `index`'s namespace (with node's fetch: no curl/wget needed) and returns the body. */
  async httpGet(index: number, url: string, timeoutMs = 5000): Promise<string> {
    const script = `fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(${timeoutMs}) })
      .then(async r => { process.stdout.write(await r.text()); process.exit(r.ok ? 0 : 1) }, e => { console.error(String(e.cause ?? e)); process.exit(1) })`
    return (await this.exec(index, process.execPath, ['-e', script])).stdout
  }

  private assertNotDestroyed(): void {
    if (this.destroyed) throw new Error(`lab ${this.state.spec.name} was destroyed (a test timed out?); not creating anything more`)
  }

  /** Removes every host, the bridge, its firewall rule and the lab's directories. */
  async destroy(): Promise<void> {
    this.destroyed = true
    const errors: unknown[] = []
    // In parallel: each dockerd's shutdown is independent and this keeps teardown short.
    await Promise.all(this.hosts().map(h => destroyNetnsHost(h).then(() => { delete this.state.hosts[h.id] }, e => { errors.push(e) })))
    if (this.state.bridge) {
      await removeBridge(this.state.bridge).catch(e => errors.push(e))
      if (!errors.length) delete this.state.bridge
    }
    if (!errors.length) {
      rmSync(join(this.state.dataDir, 'hosts'), { recursive: true, force: true })
      rmSync(this.state.runDir, { recursive: true, force: true })
      removeIfEmpty(this.state.dataDir)
      removeIfEmpty(dirname(this.state.runDir))
    }
    if (errors.length) throw errors[0]
  }
}

function removeIfEmpty(dir: string): void {
  try { if (readdirSync(dir).length === 0) rmdirSync(dir) } catch { /* absent or not empty */ }
}
