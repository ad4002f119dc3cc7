// The host agent: a level-triggered loop. The etcd watch on this host's assignments and
// the engine's event stream only enqueue a manifest key; a worker re-reads desired
// (the assignment cache) and actual (the engine) for that manifest, asks the pure
// reconcile for a plan, applies it through the driver with bounded concurrency, and
// announces the result. A periodic full resync catches anything a watch missed.
import type { Etcd3, Watcher } from 'etcd3'
import PQueue from 'p-queue'
import type { Logger } from 'pino'
import type { HostRecord, InstanceRef, KeyLayout, PortRange } from '../schemas/index.js'
import { LABELS } from '../schemas/index.js'
import { loadPrefix } from '../kit/paged-load.js'
import { Announcer } from './announcer.js'
import { AssignmentBook } from './assignment-book.js'
import { linkTarget } from './container-options.js'
import type { RejectedInstance } from './desired-state.js'
import { linkPort } from './link-port.js'
import type { ContainerDetail, DockerEngine, EventSubscription } from './docker-engine.js'
import { Driver } from './driver.js'
import { emptyMemo, type InstanceMemo } from './instance-record.js'
import { LatestOnly } from './latest-only.js'
import { LeaseKeeper } from './lease-keeper.js'
import type { ActualContainer, DesiredInstance, Step } from './model.js'
import { manifestKey, refKey } from './model.js'
import { reconcile } from './reconcile.js'
import { QUICK_RUN_MS } from './restart-delay.js'
import { WorkQueue } from './work-queue.js'

export interface AgentOptions {
  client: Etcd3
  keys: KeyLayout
  engine: DockerEngine
  log: Logger
  hostId: string
  hostAddress: string
  /** undefined: no DNS injection, links point at the host address. */
  ambassadorAddress?: string
  labels: Record<string, string>
  /** Docker network containers join. */
  network: string
  /** Base URL of this host's agent API, published in the host record for the builder. */
  agentUrl?: string
  leaseTtl: number
  resyncMs: number
  concurrency: number
  portRange: PortRange
  clock?: () => number
}

export class Agent {
  /** This host's assignments: to run, and refused (recorded failed, never run). */
  private readonly assigned: AssignmentBook
  private readonly memos = new Map<string, InstanceMemo>()
  private readonly linkPortCache = new Map<string, number>()
  private readonly lease: LeaseKeeper
  private readonly announcer: Announcer
  private readonly announcing: LatestOnly
  private readonly driver: Driver
  private readonly ops: PQueue
  private readonly queue: WorkQueue
  private readonly clock: () => number
  private watcher?: Watcher
  private events?: EventSubscription
  private resyncTimer?: NodeJS.Timeout
  private stopping = false
  private leaseStarted?: Promise<void>
  private resyncing?: Promise<void>

  constructor(private readonly o: AgentOptions) {
    this.clock = o.clock ?? Date.now
    this.assigned = new AssignmentBook(o.keys, o.hostId, o.log)
    this.lease = new LeaseKeeper(o.client, o.leaseTtl, o.log, key => this.announcer.forget(key))
    this.announcer = new Announcer(o.client, o.keys, this.lease, o.hostId, o.hostAddress)
    this.announcing = new LatestOnly((mk, err) => o.log.warn({ manifest: mk, err: (err as Error).message }, 'announcing to etcd failed; the next pass retries'))
    this.driver = new Driver({
      engine: o.engine,
      host: { hostId: o.hostId, hostAddress: o.hostAddress, ambassadorAddress: o.ambassadorAddress, domain: o.keys.domain, network: o.network },
      linkPorts: (app, links) => this.linkPorts(app, links),
    })
    this.ops = new PQueue({ concurrency: o.concurrency })
    this.queue = new WorkQueue(mk => this.work(mk), Math.max(2, Math.ceil(o.concurrency / 2)), (mk, err, failures, delayMs) => {
      o.log.warn({ manifest: mk, err: (err as Error).message, failures, retryInMs: delayMs }, 'reconcile failed; backing off')
    }, this.clock)
  }

  async start(): Promise<void> {
    const { o } = this
    const info = await o.engine.info()
    // start() may be retried after a failure further down; one lease is enough.
    this.leaseStarted ??= this.lease.start()
    await this.leaseStarted
    const host: HostRecord = {
      id: o.hostId, address: o.hostAddress, labels: o.labels, cpus: info.cpus, memory: info.memory,
      engineVersion: info.version, startedAt: new Date(this.clock()).toISOString(),
    }
    if (o.ambassadorAddress) host.ambassadorAddress = o.ambassadorAddress
    if (o.agentUrl) host.agentUrl = o.agentUrl
    await this.lease.put(o.keys.host(o.hostId), JSON.stringify(host))
    o.log.info({ host }, 'host registered')

    for (const [rk, memo] of await this.announcer.adopt()) this.memos.set(rk, memo)

    const watcher = await o.client.watch().prefix(o.keys.assignments(o.hostId)).create()
    this.watcher = watcher
    watcher.on('put', kv => this.onAssignment(kv.key.toString(), kv.value.toString()))
    watcher.on('delete', kv => this.onAssignment(kv.key.toString(), undefined))
    watcher.on('connected', () => { void this.resync() })
    watcher.on('disconnected', () => o.log.warn('etcd watch disconnected; containers keep running, reconnecting'))
    watcher.on('error', err => o.log.warn({ err: err.message }, 'etcd watch error'))

    await this.subscribeEvents()
    await this.resync()
    this.resyncTimer = setInterval(() => { void this.resync() }, o.resyncMs)
    o.log.info({ assignments: this.assigned.size }, 'conductor running')
  }

  /** Stops watching and working; containers keep running, records expire with the lease. */
  async stop(): Promise<void> {
    this.stopping = true
    clearInterval(this.resyncTimer)
    this.events?.close()
    await this.watcher?.cancel().catch(() => {})
    await this.queue.stop()
    await this.ops.onIdle()
    await this.announcing.idle()
    this.lease.release()
  }

  /** Resolves when no work is queued or in progress (tests and benchmarks). */
  async idle(): Promise<void> {
    await this.queue.idle()
    await this.announcing.idle()
  }

  private onAssignment(key: string, value: string | undefined): void {
    const ref = this.assigned.onKey(key, value)
    if (ref) this.queue.add(manifestKey(ref), true)
  }

  /** Full pass: reload every assignment, list every container of ours, look at every manifest.
   * At most one at a time: with etcd frozen, ticks must not pile up reads behind each other. */
  resync(): Promise<void> {
    this.resyncing ??= this.fullPass().finally(() => { this.resyncing = undefined })
    return this.resyncing
  }

  private async fullPass(): Promise<void> {
    if (this.stopping) return
    const { o } = this
    const seen = new Set<string>()
    try {
      // In pages: this host's assignments are not bounded by one gRPC message.
      const { kvs } = await loadPrefix(o.client, o.keys.assignments(o.hostId))
      this.assigned.replaceAll(kvs.map(kv => ({ key: kv.key.toString(), value: kv.value.toString() })))
      await this.lease.flush()
    } catch (err) {
      // Static stability: without etcd we keep converging on the assignments we last saw.
      o.log.warn({ err: (err as Error).message }, 'cannot read assignments from etcd; keeping the last known ones')
    }
    for (const mk of this.assigned.manifests()) seen.add(mk)
    try {
      for (const c of await o.engine.listContainers({ [LABELS.host]: o.hostId })) {
        const app = c.labels[LABELS.app]
        const name = c.labels[LABELS.name]
        if (app && name) seen.add(`${app}/${name}`)
      }
    } catch (err) {
      o.log.warn({ err: (err as Error).message }, 'cannot list containers')
    }
    for (const mk of this.announcer.manifests()) seen.add(mk)
    for (const mk of seen) this.queue.add(mk)
  }

  private async subscribeEvents(): Promise<void> {
    const { o } = this
    try {
      this.events = await o.engine.events({ [LABELS.host]: o.hostId }, e => {
        const app = e.labels[LABELS.app]
        const name = e.labels[LABELS.name]
        if (app && name) this.queue.add(`${app}/${name}`)
      }, err => {
        if (this.stopping) return
        o.log.warn({ err: err?.message }, 'docker event stream ended; resubscribing')
        setTimeout(() => { void this.subscribeEvents().then(() => this.resync()) }, 1000).unref()
      })
    } catch (err) {
      o.log.warn({ err: (err as Error).message }, 'cannot subscribe to docker events; retrying')
      if (!this.stopping) setTimeout(() => { void this.subscribeEvents().then(() => this.resync()) }, 2000).unref()
    }
  }

  private memo(ref: InstanceRef): InstanceMemo {
    const rk = refKey(ref)
    let m = this.memos.get(rk)
    if (!m) {
      m = emptyMemo()
      this.memos.set(rk, m)
    }
    return m
  }

  /** One manifest: re-read, reconcile, apply, announce. */
  private async work(mk: string): Promise<{ again?: boolean; retryAt?: number }> {
    const { o } = this
    const [app, name] = mk.split('/') as [string, string]
    const { desired, rejected } = this.assigned.of(app, name)
    const details = await this.readActual(app, name)
    const actual: ActualContainer[] = []
    for (const c of details) {
      const ref = { app, name, index: Number(c.labels[LABELS.instance]) }
      const memo = this.memo(ref)
      const d = this.assigned.get(ref)
      // An adopted container has done whatever restart was asked before we came.
      if (memo.restartGeneration === undefined && d) memo.restartGeneration = d.restartGeneration
      actual.push({ ...c, restartGeneration: memo.restartGeneration, stoppedByUs: memo.stoppedByUs, quickRestarts: memo.quickRestarts })
    }
    const byRef = speakers(details)

    // Announced beside the Docker work, never before it: a frozen etcd must not keep a
    // dead container down (static stability).
    this.announce(app, name, desired, rejected, byRef)

    const plan = reconcile(o.hostId, desired, actual, this.clock())
    if (plan.steps.length === 0) {
      for (const d of desired) if (byRef.has(refKey(d.ref)) && !this.memo(d.ref).error) this.forgetQuick(d.ref, byRef.get(refKey(d.ref))!)
      return { retryAt: plan.retryAt }
    }
    const failures: Error[] = []
    await Promise.all(plan.steps.map(step => this.ops.add(async () => {
      const log = o.log.child({ app: step.ref.app, name: step.ref.name, instance: step.ref.index })
      log.info({ step: describe(step) }, 'applying')
      try {
        await this.driver.apply(step, log)
        this.afterStep(step, details.find(c => 'containerId' in step && c.id === step.containerId))
      } catch (err) {
        const message = (err as Error).message
        log.error({ step: step.kind, err: message, code: (err as { code?: string }).code }, 'step failed')
        if (step.kind !== 'remove') this.memo(step.ref).error = message
        failures.push(err as Error)
      }
    })))
    if (failures.length > 0) {
      // Announce the failure now rather than after the backoff.
      this.announce(app, name, desired, rejected, speakers(await this.readActual(app, name)))
      throw new AggregateError(failures, failures.map(f => f.message).join('; '))
    }
    return { again: true, retryAt: plan.retryAt }
  }

  private announce(app: string, name: string, desired: DesiredInstance[], rejected: RejectedInstance[], byRef: Map<string, ContainerDetail>): void {
    this.announcing.run(`${app}/${name}`, () => this.announcer.publish(app, name, desired, byRef, ref => this.memo(ref), this.clock(), rejected))
  }

  private afterStep(step: Step, before: ContainerDetail | undefined): void {
    const m = this.memo(step.ref)
    m.error = undefined
    switch (step.kind) {
      case 'create':
      case 'replace':
        m.restartGeneration = step.desired.restartGeneration
        m.stoppedByUs = step.desired.run === 'stopped'
        break
      case 'start':
        m.stoppedByUs = false
        if (step.reason === 'restart-policy') {
          m.restarts++
          const ran = (before?.finishedAt ?? 0) - (before?.startedAt ?? 0)
          m.quickRestarts = ran < QUICK_RUN_MS ? m.quickRestarts + 1 : 0
        }
        break
      case 'restart':
        m.restartGeneration = step.generation
        break
      case 'stop':
        m.stoppedByUs = true
        break
      case 'remove':
        if (step.reason === 'unassigned') this.memos.delete(refKey(step.ref))
        break
    }
  }

  /** A container that has stayed up for a while is out of its crash loop. */
  private forgetQuick(ref: InstanceRef, c: ContainerDetail): void {
    const m = this.memo(ref)
    if (m.quickRestarts > 0 && c.state === 'running' && c.startedAt !== undefined && this.clock() - c.startedAt > QUICK_RUN_MS) m.quickRestarts = 0
  }

  private async readActual(app: string, name: string): Promise<ContainerDetail[]> {
    const { o } = this
    const list = await o.engine.listContainers({ [LABELS.host]: o.hostId, [LABELS.app]: app, [LABELS.name]: name })
    const details = await Promise.all(list.map(c => o.engine.inspect(c.id)))
    return details.filter((d): d is ContainerDetail => d !== undefined)
  }

  private async linkPorts(app: string, links: string[]): Promise<Record<string, number>> {
    const out: Record<string, number> = {}
    for (const link of links) {
      const target = linkTarget(app, link)
      const ck = `${target.app}/${target.service}`
      let port = this.linkPortCache.get(ck)
      if (port === undefined) {
        port = await linkPort(this.o.client, this.o.keys, target.app, target.service, this.o.portRange)
        this.linkPortCache.set(ck, port)
      }
      out[link] = port
    }
    return out
  }
}

/** refKey -> the container that speaks for the instance when there are several: up first, then the oldest. */
function speakers(details: ContainerDetail[]): Map<string, ContainerDetail> {
  const rank = (c: ContainerDetail) => (c.state === 'running' || c.state === 'paused' ? 0 : 1e15) + c.createdAt
  const byRef = new Map<string, ContainerDetail>()
  for (const c of details) {
    const rk = `${c.labels[LABELS.app]}/${c.labels[LABELS.name]}/${c.labels[LABELS.instance]}`
    const prev = byRef.get(rk)
    if (!prev || rank(c) < rank(prev)) byRef.set(rk, c)
  }
  return byRef
}

function describe(step: Step): string {
  const id = 'containerId' in step ? ` ${step.containerId.slice(0, 12)}` : ''
  const why = step.kind === 'start' || step.kind === 'remove' ? ` (${step.reason})` : ''
  return `${step.kind}${id}${why}`
}
