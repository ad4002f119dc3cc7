// The local provider: a whole cluster on this machine, like kind or k3d. A lab bridge
// with etcd and a registry on its address, N namespace hosts each with dockerd,
// conductor and ambassador, and a builder. Everything made is recorded (with pids) in
// <state-dir>/<name>/state.json after every step; `down` removes exactly that.
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs'
import { TlsFetcher } from '../kit/tls-fetch.js'
import { NetnsLab, DEFAULT_BIP_BASE, DEFAULT_SUBNET } from './netns-lab.js'
import type { NetnsHostRecord } from './netns-host.js'
import { localStatus, type LocalOptions, type LocalState } from './local-state.js'

export type { LocalOptions, LocalState } from './local-state.js'
import { bridgePlan, hostPlan, maxHosts, overlaps, validateLabSpec, type LabSpec } from './lab-plan.js'
import { StateFile, DEFAULT_RUN_DIR, DEFAULT_STATE_DIR } from './state-file.js'
import { planEtcd, startEtcd, startRegistry, type EtcdMember, type RegistryRecord } from './local-services.js'
import { ambassadorArgs, bipGateway, builderArgs, builderPasswordFile, conductorArgs, nodeEntry, packageRoot, type ClusterFacts, type Part } from './local-agents.js'
import { isRunning, logTail, spawnDaemon, stopProcess, waitUntil, type ProcessRecord } from './processes.js'
import { CLUSTER_KEY_ENV, ensureClusterKey } from './cluster-key.js'
import { ensureClusterPki } from './cluster-pki.js'
import { applyClusterRoles, etcdAnswers } from './cluster-roles.js'
import { etcdClientTls, labPkiDir, labPlan, memberTls } from './local-tls.js'
import { restartConductorKeepingLease } from './lease-bridge.js'
import { waitForHostDrained, waitForHostRegistered } from './drain.js'
import { requireCommands, requireRoot } from './preconditions.js'
import { run } from './run-command.js'
import { NotFoundError, PreconditionError, ProvisionError, UsageError } from './errors.js'
import type { ClusterStatus, Provider, UpResult } from './provider.js'
import type { Progress } from './progress.js'

export class LocalProvider implements Provider {
  readonly name = 'local'
  private readonly stateDir: string
  private readonly clusterName: string
  private readonly file: StateFile<LocalState>

  constructor(private readonly opts: LocalOptions = {}) {
    this.stateDir = opts.stateDir ?? DEFAULT_STATE_DIR
    this.clusterName = opts.name ?? 'dokkaa'
    this.file = new StateFile<LocalState>(join(this.stateDir, this.clusterName))
  }

  private get dataDir(): string { return join(this.stateDir, this.clusterName) }
  private get logDir(): string { return join(this.dataDir, 'logs') }
  /** One key for the cluster, in its state dir (removed by `down` with etcd, whose secrets it opens). */
  private get clusterKeyFile(): string { return join(this.dataDir, 'cluster.key') }

  private async initialState(): Promise<LocalState> {
    const spec: LabSpec = { name: this.clusterName, subnet: this.opts.subnet ?? DEFAULT_SUBNET, bipBase: this.opts.bipBase ?? DEFAULT_BIP_BASE }
    validateLabSpec(spec)
    const bridge = bridgePlan(spec)
    const routes = (await run('ip', ['-4', 'route', 'show'])).stdout.split('\n').map(l => l.split(' ')[0] ?? '').filter(r => r.includes('.'))
    const clash = overlaps(bridge.cidr, routes)
    if (clash) throw new PreconditionError(`subnet ${bridge.cidr} overlaps ${clash}, already routed on this machine`, 'choose another with --subnet')
    const prefix = this.opts.prefix ?? ''
    const members = this.opts.etcdMembers ?? 1
    if (!Number.isInteger(members) || members < 1 || members > 7) throw new UsageError('--etcd-members must be 1 to 7')
    return {
      provider: 'local',
      version: 1,
      prefix,
      etcdToken: `dokkaa-${this.clusterName}-${randomBytes(4).toString('hex')}`,
      lab: { spec, dataDir: this.dataDir, runDir: this.opts.runDir ?? join(DEFAULT_RUN_DIR, this.clusterName), hosts: {} },
      etcd: planEtcd(bridge.address, members, join(this.dataDir, 'etcd')),
      registry: { address: `${bridge.address}:5000`, dataDir: join(this.dataDir, 'registry') },
      agents: {},
      leaseTtl: this.opts.leaseTtl ?? 5,
      images: [],
    }
  }

  private facts(s: LocalState): ClusterFacts {
    return { etcd: s.etcd.map(m => m.clientUrl), prefix: s.prefix, pkiDir: this.pkiDir }
  }

  private get pkiDir(): string { return labPkiDir(this.dataDir) }
  /** The admin's identity (etcd root): what `up` itself, `dokkaacfg` and the tests connect as. */
  private get adminTls() { return etcdClientTls(this.pkiDir, 'dokkaacfg') }

  /** The CA and every certificate hosts 1..scale (and those still there) need; kept when still good. */
  private async ensurePki(state: LocalState, scale: number, existing: string[], progress: Progress, force = false): Promise<string[]> {
    const ids = new Set(existing)
    const hosts = Array.from({ length: scale }, (_, i) => hostPlan(state.lab.spec, i + 1)).filter(h => !ids.has(h.id))
    const all = [...hosts.map(h => ({ id: h.id, address: h.address })), ...existing.map(id => ({ id, address: state.lab.hosts[id]!.address }))]
    return (await ensureClusterPki(this.pkiDir, labPlan(this.clusterName, all, bridgePlan(state.lab.spec).address, state.etcd), line => progress.info(`pki: ${line}`), { force })).issued
  }

  async up(scale: number, progress: Progress): Promise<UpResult> {
    requireRoot('dokkaacfg up --provider=local')
    await requireCommands(['ip', 'iptables', 'nsenter', 'dockerd', 'etcd', 'docker-registry'])
    const state = this.file.load() ?? await this.initialState()
    if (!Number.isInteger(scale) || scale < 0 || scale > maxHosts(state.lab.spec)) {
      throw new UsageError(`--scale must be a whole number from 0 to ${maxHosts(state.lab.spec)}`)
    }
    state.images = [...new Set([...(state.images ?? []), ...(this.opts.images ?? [])])]
    const save = () => this.file.save(state)
    save()
    const lab = NetnsLab.fromState(state.lab, { insecureRegistries: [state.registry.address] })
    const facts = this.facts(state)
    const before = new Set(lab.hosts().map(h => h.id))

    await progress.step(`bridge ${bridgePlan(state.lab.spec).name} ${bridgePlan(state.lab.spec).address}/${bridgePlan(state.lab.spec).prefixLength}`, async () => { await lab.ensureBridge(); save() })
    await progress.step(`certificates in ${this.pkiDir}`, async () => { await this.ensurePki(state, scale, lab.hosts().filter(h => h.index <= scale).map(h => h.id), progress) })
    await progress.step(`etcd (${state.etcd.length} member${state.etcd.length > 1 ? 's' : ''}, TLS, client certificates) on ${facts.etcd.join(',')}`, async () => {
      try { await startEtcd(state.etcd, state.etcdToken, this.logDir, () => etcdAnswers(facts.etcd, this.adminTls), memberTls(this.pkiDir)) } finally { save() }
    })
    await progress.step('etcd roles (one per identity) and authentication', async () => {
      const ids = Array.from({ length: scale }, (_, i) => hostPlan(state.lab.spec, i + 1).id)
      await applyClusterRoles({ etcd: facts.etcd, tls: this.adminTls, prefix: state.prefix, hosts: ids })
    })
    await progress.step(`registry on ${state.registry.address}`, async () => {
      try { await startRegistry(state.registry, this.logDir) } finally { save() }
    })

    const removed: string[] = []
    for (const h of lab.hosts().filter(x => x.index > scale).reverse()) {
      await progress.step(`drain and remove ${h.id}`, async () => {
        const agents = state.agents[h.id] ?? {}
        if (agents.conductor && isRunning(agents.conductor)) {
          await stopProcess(agents.conductor)
          const drained = await waitForHostDrained(facts.etcd, state.prefix, h.id, this.opts.drainTimeoutMs ?? 30_000, this.adminTls)
          if (!drained) progress.info(`${h.id}: instances not moved within the drain timeout; removing anyway`)
        }
        if (agents.ambassador) await stopProcess(agents.ambassador)
        await lab.removeHost(h.index)
        delete state.agents[h.id]
        removed.push(h.id)
        save()
      })
    }

    const agentsOn = this.opts.agents !== false
    if (agentsOn) ensureClusterKey(this.clusterKeyFile)
    const entries = { conductor: agentsOn ? nodeEntry('conductor') : undefined, ambassador: agentsOn ? nodeEntry('ambassador') : undefined }
    const started: string[] = []
    for (let i = 1; i <= scale; i++) {
      const id = `${this.clusterName}-h${i}`
      await progress.step(`host ${id}`, async () => {
        try {
          const h = await lab.addHost(i)
          // New hosts get every remembered image; existing ones only those named on this run.
          for (const img of before.has(id) ? this.opts.images ?? [] : state.images) await lab.copyImage(img, undefined, [i])
          const a = state.agents[id] ??= {}
          if (entries.conductor && !(a.conductor && isRunning(a.conductor))) {
            a.conductor = this.spawnHostPart(state, h, 'conductor', entries.conductor)
            started.push(id)
          }
          if (entries.ambassador && !(a.ambassador && isRunning(a.ambassador))) {
            a.ambassador = this.spawnHostPart(state, h, 'ambassador', entries.ambassador)
          }
        } finally { save() }
      })
    }
    for (const p of ['conductor', 'ambassador'] as const) if (agentsOn && !entries[p]) progress.info(`${p}: no ${p}/main.ts or dist/${p}/main.js in ${packageRoot()}; not started`)
    if (started.length) {
      await progress.step(`conductors registered (${started.join(', ')})`, async () => {
        const oks = await Promise.all(started.map(id => waitForHostRegistered(facts.etcd, state.prefix, id, 60_000, this.adminTls)))
        const late = started.filter((_, k) => !oks[k])
        if (late.length) progress.info(`not registered within 60 s: ${late.join(', ')} (see ${this.logDir})`)
      })
    }

    const builderEntry = agentsOn ? nodeEntry('builder') : undefined
    if (builderEntry) {
      await progress.step('builder', async () => {
        const listen = `${bridgePlan(state.lab.spec).address}:${this.opts.builderPort ?? 8080}`
        const b = state.builder ??= { listen, dataDir: join(this.dataDir, 'builder') }
        if (!(b.process && isRunning(b.process))) {
          b.process = this.spawnAgent('builder', builderEntry, builderArgs(facts, b.listen, b.dataDir, this.clusterKeyFile), 'builder')
          save()
        }
        await this.waitForBuilder(b, progress)
      })
    } else if (agentsOn) progress.info(`builder: no builder/main.ts or dist/builder/main.js in ${packageRoot()}; not started`)
    save()

    const hosts = lab.hosts().map(h => ({ id: h.id, address: h.address }))
    return {
      provider: this.name,
      hosts,
      added: hosts.map(h => h.id).filter(id => !before.has(id)),
      removed,
      etcdEndpoints: facts.etcd,
      etcdTls: { ca: this.adminTls.ca, cert: this.adminTls.client.cert, key: this.adminTls.client.key },
      prefix: state.prefix,
      consoleUrl: state.builder ? `https://${state.builder.listen}/` : undefined,
      caFile: this.adminTls.ca,
      rootPasswordFile: state.builder ? builderPasswordFile(state.builder.dataDir) : undefined,
      registry: state.registry.address,
    }
  }

  /** Waits until the builder answers (a 4xx counts: it serves), or says in `progress` that it did not. */
  private async waitForBuilder(b: NonNullable<LocalState['builder']>, progress: Progress): Promise<void> {
    const proc = b.process!
    const https = new TlsFetcher({ ca: readFileSync(this.adminTls.ca) })
    const ok = await waitUntil(async () => {
      if (!isRunning(proc)) throw new ProvisionError(`builder exited: ${logTail(proc.log)}`)
      return (await https.fetch(`https://${b.listen}/`, { signal: AbortSignal.timeout(2000) }).catch(() => ({ status: 599 }))).status < 500
    }, 60_000, 500)
    if (!ok) progress.info(`builder did not answer on https://${b.listen}/ within 60 s (see ${this.logDir}/builder.log)`)
  }

  /** Starts a host's conductor or ambassador inside its namespace. */
  private spawnHostPart(state: LocalState, h: NetnsHostRecord, part: 'conductor' | 'ambassador', entry: string[]): ProcessRecord {
    const facts = this.facts(state)
    const hf = { id: h.id, address: h.address, dockerGateway: bipGateway(h.bip), dockerHost: h.dockerd!.host }
    const args = part === 'conductor' ? conductorArgs(facts, hf, state.leaseTtl) : ambassadorArgs(facts, hf)
    return this.spawnAgent(part, entry, args, `${h.id}-${part}`, h.netns)
  }

  /**
   * `certs rotate`: every certificate but the CA's issued again (new keys), then each part
   * restarted one at a time to connect with its new one — the builder, then per host the
   * ambassador and the conductor. A conductor stopping keeps its lease (lease-keeper.ts), and
   * its successor takes its records over within the TTL: no container is stopped or moved.
   * etcd needs no restart: it reads its certificate files at every new connection.
   */
  async rotateCerts(progress: Progress): Promise<{ issued: string[]; restarted: string[] }> {
    requireRoot('dokkaacfg certs rotate --provider=local')
    await requireCommands(['etcdctl', 'nsenter'])
    const state = this.file.load()
    if (!state) throw new NotFoundError(`no local cluster ${this.clusterName} in ${this.stateDir}`, 'dokkaacfg up first, or name it with --name/--state-dir')
    const lab = NetnsLab.fromState(state.lab)
    const hosts = lab.hosts()
    const issued = await progress.step(`issue every certificate again in ${this.pkiDir} (same CA, new keys)`, () => this.ensurePki(state, 0, hosts.map(h => h.id), progress, true))
    const restarted: string[] = []
    const restart = async (p: ProcessRecord | undefined, spawn: () => ProcessRecord): Promise<ProcessRecord | undefined> => {
      if (!p) return undefined
      await stopProcess(p, 20_000)
      return spawn()
    }
    const b = state.builder
    const builderEntry = nodeEntry('builder')
    if (b?.process && builderEntry) {
      await progress.step('builder', async () => {
        b.process = await restart(b.process, () => this.spawnAgent('builder', builderEntry, builderArgs(this.facts(state), b.listen, b.dataDir, this.clusterKeyFile), 'builder'))
        this.file.save(state)
        await this.waitForBuilder(b, progress)
        restarted.push('builder')
      })
    }
    for (const h of hosts) {
      const a = state.agents[h.id] ?? {}
      await progress.step(`${h.id}: ambassador, conductor`, async () => {
        const ambassador = nodeEntry('ambassador')
        if (ambassador) a.ambassador = await restart(a.ambassador, () => this.spawnHostPart(state, h, 'ambassador', ambassador))
        const conductor = nodeEntry('conductor')
        // The host's lease is held while no conductor runs: its records (and its instances) stay put.
        await restartConductorKeepingLease({
          etcd: this.facts(state).etcd, tls: this.adminTls, prefix: state.prefix, hostId: h.id, logHint: `see ${this.logDir}/${h.id}-conductor.log`,
          restart: async () => {
            if (conductor) a.conductor = await restart(a.conductor, () => this.spawnHostPart(state, h, 'conductor', conductor))
            this.file.save(state)
          },
        })
        restarted.push(`${h.id}-ambassador`, `${h.id}-conductor`)
      })
    }
    return { issued, restarted }
  }

  private spawnAgent(part: Part, entry: string[], args: string[], logName: string, netns?: string): ProcessRecord {
    // The marker is the flag list, which names the host id: unique to this process.
    const argv = [...entry, ...args]
    // Every part gets the cluster key through its env var (the conductor's --cluster-key-file).
    const env = { ...process.env, [CLUSTER_KEY_ENV]: this.clusterKeyFile }
    return spawnDaemon(argv, args.join(' '), join(this.logDir, `${logName}.log`), { netns, cwd: packageRoot(), env })
  }

  async down(progress: Progress): Promise<{ removed: string[] }> {
    requireRoot('dokkaacfg down --provider=local')
    const state = this.file.load()
    if (!state) return { removed: [] }
    const removed: string[] = []
    const lab = NetnsLab.fromState(state.lab)
    if (state.builder?.process) await progress.step('stop builder', () => stopProcess(state.builder!.process!, 10_000))
    await progress.step('stop conductors and ambassadors', async () => {
      await Promise.all(Object.values(state.agents).flatMap(a => [a.conductor, a.ambassador]).filter((p): p is ProcessRecord => !!p).map(p => stopProcess(p, 10_000)))
    })
    for (const h of lab.hosts()) removed.push(h.id)
    await progress.step(`remove hosts, bridge and firewall rule`, async () => {
      try { await lab.destroy() } finally { this.file.save(state) }
    })
    await progress.step('stop registry and etcd', async () => {
      if (state.registry.process) await stopProcess(state.registry.process, 10_000)
      await Promise.all(state.etcd.filter(m => m.process).map(m => stopProcess(m.process!, 10_000)))
    })
    rmSync(this.dataDir, { recursive: true, force: true })
    try { if (readdirSync(this.stateDir).length === 0) rmdirSync(this.stateDir) } catch { /* kept: not empty */ }
    return { removed }
  }

  async status(): Promise<ClusterStatus> {
    const state = this.file.load()
    return state ? localStatus(state) : { provider: this.name, exists: false, hosts: [], services: {} }
  }
}
