// The host agent, split the way a sample-controller splits a controller: an assignment
// cache (assignment-cache.ts) and the engine's events (engine-events.ts) only enqueue a
// manifest key on the work queue; a worker runs sync(key): desired from the cache, actual
// from the engine, reconcile, apply through the driver with bounded concurrency, announce.
// What it remembers between passes is the pure instance memo (instance-memo.ts); the host
// record is host-registration.ts. A periodic full resync catches anything a watch missed.
// Health checks (container-health.ts) feed reconcile and what is announced; a verdict that
// changes queues the manifest. Plans are carried out by plan-runner.ts: graceful steps
// (withdraw, drain, stop) in the background, so one slow stop holds up nothing else.
import type { Etcd3 } from 'etcd3'
import type { Logger } from 'pino'
import type { InstanceRef, KeyLayout } from '../schemas/index.js'
import { LABELS } from '../schemas/index.js'
import { singleFlight } from '../kit/single-flight.js'
import { Announcer } from './announcer.js'
import { AssignmentCache } from './assignment-cache.js'
import { ContainerHealth } from './container-health.js'
import type { RejectedInstance } from './desired-state.js'
import type { ContainerDetail, DockerEngine } from './docker-engine.js'
import { Driver } from './driver.js'
import { EngineEvents } from './engine-events.js'
import type { HealthWatcher, OnVerdictChange } from './health/health-monitor.js'
import { createHealthWatcher } from './health/health-watcher.js'
import { registerHost } from './host-registration.js'
import { InstanceMemos } from './instance-memo.js'
import { instanceViews, type InstanceView } from './instance-view.js'
import { LatestOnly } from './latest-only.js'
import { LeaseKeeper } from './lease-keeper.js'
import type { ActualContainer, DesiredInstance } from './model.js'
import { manifestKey, refKey } from './model.js'
import { ImageDigests } from './image-digests.js'
import { ImagePuller } from './image-puller.js'
import type { RegistryAuthSource } from './registry-auth.js'
import { PlanRunner, specsByHash } from './plan-runner.js'
import { reconcile } from './reconcile.js'
import type { ValueFiles } from './value-files.js'
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
  /** Between withdrawing a serving container from SkyDNS and stopping it (--drain-delay). */
  drainMs: number
  /** Secret and config files of instances (absent: a spec naming any fails its create). */
  values?: ValueFiles
  /** Stored private registry credentials (absent: every pull is anonymous). */
  registryAuth?: RegistryAuthSource
  /** The health checker; tests pass a stand-in. */
  healthWatcher?: (onChange: OnVerdictChange, clock: () => number) => HealthWatcher
  clock?: () => number
}

export class Agent {
  private readonly cache: AssignmentCache
  private readonly events: EngineEvents
  private readonly memos = new InstanceMemos()
  private readonly lease: LeaseKeeper
  private readonly announcer: Announcer
  private readonly announcing: LatestOnly
  private readonly health: ContainerHealth
  private readonly runner: PlanRunner
  private readonly queue: WorkQueue
  private readonly digests: ImageDigests
  private readonly clock: () => number
  private resyncTimer?: NodeJS.Timeout
  private stopping = false
  private leaseStarted?: Promise<void>

  constructor(private readonly o: AgentOptions) {
    this.clock = o.clock ?? Date.now
    this.queue = new WorkQueue(mk => this.sync(mk), Math.max(2, Math.ceil(o.concurrency / 2)), (mk, err, failures, delayMs) => {
      o.log.warn({ manifest: mk, err: (err as Error).message, failures, retryInMs: delayMs }, 'reconcile failed; backing off')
    }, this.clock)
    // A changed assignment is news: retry now, even a manifest backing off after a failure.
    this.cache = new AssignmentCache({ ...o, onChange: mk => this.queue.add(mk, true), onConnected: () => { void this.resync() } })
    const watcher = (o.healthWatcher ?? createHealthWatcher)((id, verdict) => {
      this.health.changed(id, verdict)
      const mk = this.health.manifestOf(id)
      if (mk) this.queue.add(mk)
    }, this.clock)
    this.health = new ContainerHealth(watcher, o.hostAddress, this.clock())
    this.events = new EngineEvents({
      ...o, onChange: mk => this.queue.add(mk), onHealth: (id, status) => this.health.dockerSaid(id, status), onResubscribed: () => { void this.resync() },
    })
    this.lease = new LeaseKeeper(o.client, o.leaseTtl, o.log, key => this.announcer.forget(key))
    this.announcer = new Announcer(o.client, o.keys, this.lease, o.hostId, o.hostAddress)
    this.announcing = new LatestOnly((mk, err) => o.log.warn({ manifest: mk, err: (err as Error).message }, 'announcing to etcd failed; the next pass retries'))
    this.digests = new ImageDigests(o.engine, o.log, this.clock)
    const images = new ImagePuller({
      engine: o.engine, hostId: o.hostId, clock: this.clock, onProgress: (ref, text) => this.pullProgress(ref, text),
      ...(o.registryAuth ? { auth: o.registryAuth } : {}),
    })
    const driver = new Driver({
      engine: o.engine, images,
      host: { hostId: o.hostId, hostAddress: o.hostAddress, ambassadorAddress: o.ambassadorAddress, domain: o.keys.domain, network: o.network },
      ...(o.values ? { values: o.values } : {}),
    })
    this.runner = new PlanRunner({
      driver, memos: this.memos, health: this.health, log: o.log, concurrency: o.concurrency, drainMs: o.drainMs, clock: this.clock,
      withdraw: mk => this.withdraw(mk),
      requeue: (mk, at) => (at === undefined ? this.queue.add(mk) : this.queue.addAt(mk, at)),
    })
  }

  async start(): Promise<void> {
    const { o } = this
    const info = await o.engine.info()
    // start() may be retried after a failure further down; one lease is enough.
    this.leaseStarted ??= this.lease.start()
    await this.leaseStarted
    const host = await registerHost(this.lease, o.keys, o, info, this.clock())
    o.log.info({ host }, 'host registered')
    this.memos.adopt(await this.announcer.adopt())
    // Files of containers removed while no conductor ran (or before a crash) go now.
    const swept = await o.values?.sweep(o.engine)
    if (swept?.length) o.log.info({ removed: swept.length }, 'removed the secret and config files of containers that no longer exist')
    await this.cache.start()
    await this.events.start()
    await this.resync()
    this.resyncTimer = setInterval(() => { void this.resync() }, o.resyncMs)
    o.log.info({ assignments: this.cache.book.size }, 'conductor running')
  }

  /** Stops watching and working; containers keep running, records expire with the lease. */
  async stop(): Promise<void> {
    this.stopping = true
    clearInterval(this.resyncTimer)
    // Graceful steps not yet at Docker are abandoned: shutting down stops no container.
    this.runner.close()
    this.events.close()
    await this.cache.stop()
    await this.queue.stop()
    await this.runner.idle()
    await this.announcing.idle()
    this.health.close()
    this.lease.release()
  }

  /** Resolves when no work is queued or in progress (tests and benchmarks). */
  async idle(): Promise<void> {
    await this.queue.idle()
    await this.announcing.idle()
  }

  /** Full pass: reload every assignment, list every container of ours, look at every manifest.
   * At most one at a time: with etcd frozen, ticks must not pile up reads behind each other. */
  readonly resync = singleFlight(() => this.fullPass())

  private async fullPass(): Promise<void> {
    if (this.stopping) return
    const { o } = this
    const seen = new Set<string>()
    try {
      await this.cache.reload()
      await this.lease.flush()
    } catch (err) {
      // Static stability: without etcd we keep converging on the assignments we last saw.
      o.log.warn({ err: (err as Error).message }, 'cannot read assignments from etcd; keeping the last known ones')
    }
    for (const mk of this.cache.book.manifests()) seen.add(mk)
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

  /** One manifest ("app/name"): desired from the cache, actual from the engine, reconcile, apply, announce. */
  private async sync(mk: string): Promise<{ again?: boolean; retryAt?: number }> {
    const [app, name] = mk.split('/') as [string, string]
    const { desired, rejected } = this.cache.book.of(app, name)
    const details = await this.readActual(app, name)
    const specs = specsByHash(desired)
    this.health.observe(mk, details, {
      specOf: c => specs.get(c.labels[LABELS.spec] ?? ''),
      skip: id => this.runner.inFlight(id) !== undefined,
      adopted: c => this.memos.of({ app, name, index: Number(c.labels[LABELS.instance]) }).adopted,
    })
    const actual = this.memos.annotate(app, name, details, ref => this.cache.book.get(ref)).map(c => this.withLiveFacts(c))
    // Announced beside the Docker work, never before it: a frozen etcd must not keep a
    // dead container down (static stability).
    this.announce(app, name, desired, rejected, details)
    const plan = reconcile(this.o.hostId, desired, actual, this.clock())
    if (plan.steps.length === 0) {
      this.memos.settled(desired, this.views(details, desired), this.clock())
      return { retryAt: plan.retryAt }
    }
    const failures = await this.runner.apply(plan.steps, details, desired)
    if (failures.length > 0) {
      // Announce the failure now rather than after the backoff.
      this.announce(app, name, desired, rejected, await this.readActual(app, name))
      throw new AggregateError(failures, failures.map(f => f.message).join('; '))
    }
    return { again: true, retryAt: plan.retryAt }
  }

  /** What the engine cannot say: the container's health verdict, a graceful step under way. */
  private withLiveFacts(c: ActualContainer): ActualContainer {
    const verdict = this.health.healthOf(c.id)
    const inFlight = this.runner.inFlight(c.id)
    return {
      ...c,
      ...(verdict ? { health: verdict.state } : {}),
      ...(verdict?.unhealthySince !== undefined ? { unhealthySince: verdict.unhealthySince } : {}),
      ...(inFlight ? { inFlight } : {}),
    }
  }

  /** Which container each instance's record describes and which one serves, now. */
  private views(details: readonly ContainerDetail[], desired: readonly DesiredInstance[]): Map<string, InstanceView> {
    const hashes = new Map(desired.map(d => [refKey(d.ref), d.specHash]))
    return instanceViews(details, { specHash: rk => hashes.get(rk), health: id => this.health.healthOf(id), withdrawn: id => this.runner.inFlight(id) !== undefined })
  }

  private announce(app: string, name: string, desired: DesiredInstance[], rejected: RejectedInstance[], details: ContainerDetail[]): void {
    this.announcing.run(`${app}/${name}`, () => this.publish(app, name, desired, rejected, details))
  }

  /** A graceful step's first phase: the manifest announced without the container; resolves once written. */
  private async withdraw(mk: string): Promise<void> {
    const [app, name] = mk.split('/') as [string, string]
    const { desired, rejected } = this.cache.book.of(app, name)
    const details = await this.readActual(app, name)
    await this.announcing.runAndWait(mk, () => this.publish(app, name, desired, rejected, details))
  }

  private async publish(app: string, name: string, desired: DesiredInstance[], rejected: RejectedInstance[], details: readonly ContainerDetail[]): Promise<void> {
    await this.digests.learn(details)
    // The views are taken when the announcement runs: a container withdrawn meanwhile is left out.
    return this.announcer.publish(app, name, desired, this.views(details, desired), ref => this.memos.of(ref), this.clock(), rejected, c => this.digests.digestOf(c))
  }

  /** A pull went further (or ended: undefined): its instance's record says so now, while the
   * sync that started it still waits for the pull. */
  private pullProgress(ref: InstanceRef, text: string | undefined): void {
    this.memos.of(ref).pulling = text
    if (this.stopping) return
    const mk = manifestKey(ref)
    this.announcing.run(mk, async () => {
      const { desired, rejected } = this.cache.book.of(ref.app, ref.name)
      await this.publish(ref.app, ref.name, desired, rejected, await this.readActual(ref.app, ref.name))
    })
  }

  private async readActual(app: string, name: string): Promise<ContainerDetail[]> {
    const { o } = this
    const list = await o.engine.listContainers({ [LABELS.host]: o.hostId, [LABELS.app]: app, [LABELS.name]: name })
    const details = await Promise.all(list.map(c => o.engine.inspect(c.id)))
    return details.filter((d): d is ContainerDetail => d !== undefined)
  }
}
