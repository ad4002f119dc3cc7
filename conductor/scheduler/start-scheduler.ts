// Entry point of the cluster-wide scheduler. Every conductor calls startScheduler; the
// instances campaign in one etcd election (keys under KeyLayout.schedulerElection) and
// only the leader schedules. The campaign sits on its own lease, kept alive by this
// process: if the process dies, the lease expires after `leaseTtl` seconds and the next
// candidate takes over. Every write of the leader is guarded by its election key.
import type { Logger } from 'pino'
import { campaign, leaderOf, type Candidacy, type ElectionAt } from '../../kit/election.js'
import type { EtcdClient } from '../../kit/kv.js'
import type { KeyLayout, PortRange } from '../../schemas/index.js'
import { backoffDelay, RESYNC_BACKOFF } from '../../kit/backoff.js'
import { ScheduleLoop } from './schedule-loop.js'

export interface SchedulerOptions {
  client: EtcdClient
  keys: KeyLayout
  log: Logger
  /** This conductor's host id: the candidate's name in the election. */
  hostId: string
  /** Injected for tests; Date.now by default. */
  clock?: () => number
  /** TTL (seconds) of the campaign's lease: how long a dead leader blocks the next one. Default 3. */
  leaseTtl?: number
  /** Coalescing window (ms) for manifest, host, control and assignment changes. Default 2. */
  debounceMs?: number
  /** Coalescing window (ms) for instance reports (status only, mostly). Default 50. */
  reportDebounceMs?: number
  /** Full re-read of the cluster state, in case a watch missed something (ms). Default 30 000. */
  resyncMs?: number
  /** Where stable proxy ports are allocated (--port-range). Default 20000-20999. */
  portRange?: PortRange
}

export interface RunningScheduler {
  readonly isLeader: boolean
  stop(): Promise<void>
}

export const DEFAULT_ELECTION_TTL = 3

/** The election the schedulers campaign in; its keys are `${keys.schedulerElection}/<lease id>`. */
function schedulerElection(client: EtcdClient, keys: KeyLayout): ElectionAt {
  return { client, prefix: keys.prefix, name: 'scheduler' }
}

/** The host id of the scheduler in charge, if any. */
export function currentScheduler(client: EtcdClient, keys: KeyLayout): Promise<string | undefined> {
  return leaderOf(schedulerElection(client, keys))
}

export function startScheduler(opts: SchedulerOptions): RunningScheduler {
  return new Scheduler(opts)
}

class Scheduler implements RunningScheduler {
  private campaign: Candidacy | undefined
  private loop: ScheduleLoop | undefined
  private leading = false
  private stopped = false
  private retry: NodeJS.Timeout | undefined
  private failures = 0

  constructor(private readonly o: SchedulerOptions) {
    this.run()
  }

  get isLeader(): boolean {
    return this.leading
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    clearTimeout(this.retry)
    await this.stepDown()
    await this.campaign?.resign()
    this.campaign = undefined
    this.o.log.info('scheduler stopped; resigned from the election')
  }

  private run(): void {
    const candidacy: Candidacy = campaign(schedulerElection(this.o.client, this.o.keys), this.o.hostId, this.o.leaseTtl ?? DEFAULT_ELECTION_TTL, {
      elected: leaderKey => void this.lead(candidacy, leaderKey),
      failed: err => void this.lose(candidacy, err),
    })
    this.campaign = candidacy
  }

  private async lead(campaign: Candidacy, leaderKey: string): Promise<void> {
    if (this.stopped || campaign !== this.campaign) return
    try {
      this.o.log.info({ leaderKey }, 'elected: this conductor now schedules the cluster')
      const loop = new ScheduleLoop({
        client: this.o.client, keys: this.o.keys, log: this.o.log, clock: this.o.clock ?? Date.now, leaderKey,
        onDeposed: err => void this.lose(campaign, err),
        debounceMs: this.o.debounceMs, reportDebounceMs: this.o.reportDebounceMs, resyncMs: this.o.resyncMs, portRange: this.o.portRange,
      })
      this.loop = loop
      this.leading = true
      await loop.start()
      this.failures = 0
    } catch (err) {
      await this.lose(campaign, err as Error)
    }
  }

  // The campaign failed (its lease was lost, etcd unreachable) or a write found us deposed:
  // stop scheduling at once, give up the old campaign and stand again after a pause.
  private async lose(campaign: Candidacy, err: Error): Promise<void> {
    if (campaign !== this.campaign) return
    this.campaign = undefined
    const wasLeader = this.leading
    await this.stepDown()
    await campaign.resign()
    if (this.stopped) return
    const delay = backoffDelay(this.failures++, RESYNC_BACKOFF)
    this.o.log.warn({ err: err.message, code: (err as { code?: string }).code, wasLeader, retryMs: delay },
      'scheduler campaign ended; standing again')
    this.retry = setTimeout(() => { if (!this.stopped) this.run() }, delay)
  }

  private async stepDown(): Promise<void> {
    this.leading = false
    const loop = this.loop
    this.loop = undefined
    await loop?.stop()
  }
}
