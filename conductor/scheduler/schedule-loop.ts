// What the elected scheduler does: keep the cache current, and whenever something
// changed, plan from the whole cache and write the plan. Changes are coalesced for a few
// milliseconds (longer for mere instance reports, which arrive in bursts), and at most
// one plan is in flight; a change during a write is planned right after it. A plan may
// also name a time to look again though nothing changes in etcd (a rollout's monitor
// period ending): a timer plans then.
import { kvOf, type EtcdClient, type Kv } from '../../kit/kv.js'
import type { Logger } from 'pino'
import type { KeyLayout, PortRange } from '../../schemas/index.js'
import { backoffDelay, type BackoffPolicy } from '../../kit/backoff.js'
import { ClusterCache } from './cluster-cache.js'
import { SchedulerError } from './errors.js'
import { planSchedule } from './plan-schedule.js'
import { WatchedState } from './watched-state.js'
import { writePlan } from './write-plan.js'

/** A failed plan or write is tried again after 0.2 s (the first retry), doubling to 5 s. */
const PLAN_RETRY: BackoffPolicy = { baseMs: 100, maxMs: 5_000 }
/** A wake-up further away is set for this long and planned again then (timers overflow past 24 days). */
const MAX_WAKE_MS = 3_600_000

export interface LoopOptions {
  client: Kv | EtcdClient
  keys: KeyLayout
  log: Logger
  clock: () => number
  /** The election key this scheduler holds; every write is guarded by its existence. */
  leaderKey: string
  /** Where stable proxy ports come from (--port-range). */
  portRange?: PortRange
  /** Called once when a write finds the leader key gone. */
  onDeposed: (err: SchedulerError) => void
  debounceMs?: number
  reportDebounceMs?: number
  resyncMs?: number
}

export class ScheduleLoop {
  private readonly kv: Kv
  private readonly state: WatchedState
  private timer: NodeJS.Timeout | undefined
  private timerDue = Infinity
  private running: Promise<void> | undefined
  private again = false
  private resync: NodeJS.Timeout | undefined
  private wake: NodeJS.Timeout | undefined
  private stopped = false
  private failures = 0
  /** Plans written, for logs and tests. */
  plans = 0

  constructor(private readonly o: LoopOptions) {
    this.kv = kvOf(o.client)
    this.state = new WatchedState(this.kv, new ClusterCache(o.keys, o.log, o.portRange), urgent => this.markDirty(urgent), o.log)
  }

  async start(): Promise<void> {
    await this.state.load()
    const every = this.o.resyncMs ?? 30_000
    this.resync = setInterval(() => void this.state.reload(), every)
    this.resync.unref()
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    clearTimeout(this.wake)
    clearInterval(this.resync)
    await this.state.stop()
    await this.running
  }

  markDirty(urgent: boolean, delayMs?: number): void {
    if (this.stopped) return
    if (this.running) { this.again = true; return }
    const delay = delayMs ?? (urgent ? this.o.debounceMs ?? 2 : this.o.reportDebounceMs ?? 50)
    const due = Date.now() + delay
    if (this.timer && due >= this.timerDue) return
    clearTimeout(this.timer)
    this.timerDue = due
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.timerDue = Infinity
      this.running = this.runOnce().finally(() => {
        this.running = undefined
        if (this.again) { this.again = false; this.markDirty(true) }
      })
    }, delay)
  }

  // One timer for the latest plan's wake-up: each plan knows every time still ahead.
  private wakeAt(at: number | undefined): void {
    clearTimeout(this.wake)
    this.wake = undefined
    if (at === undefined || this.stopped) return
    const delay = Math.min(MAX_WAKE_MS, Math.max(0, at - this.o.clock()))
    this.wake = setTimeout(() => this.markDirty(true), delay)
    this.wake.unref()
  }

  private async runOnce(): Promise<void> {
    if (this.stopped) return
    const cache = this.state.cache
    let plan
    try {
      plan = planSchedule(cache.toInput(this.o.clock()))
    } catch (err) {
      // Every input was read through a reader of its kind, so this is a bug: say so, keep
      // the conductor (and its containers) running, and try again later.
      this.failures++
      const retryMs = backoffDelay(this.failures, PLAN_RETRY)
      this.o.log.error({ err: (err as Error).message, stack: (err as Error).stack, retryMs }, 'planning the schedule failed; retrying')
      setTimeout(() => this.markDirty(true), retryMs).unref()
      return
    }
    this.wakeAt(plan.wakeAt)
    if ((plan.ports?.length ?? 0) + plan.puts.length + (plan.homes?.length ?? 0) + plan.deletes.length + plan.statuses.length === 0) return
    try {
      const written = await writePlan(this.kv, this.o.keys, this.o.leaderKey, plan)
      for (const p of written.puts) cache.put(p.key, { value: p.value, modRevision: p.revision })
      for (const d of written.deletes) cache.delete(d.key, d.revision)
      this.plans++
      this.failures = 0
      for (const e of plan.events) this.o.log.info({ app: e.app, name: e.name, instance: e.index }, e.message)
      this.o.log.debug({ puts: plan.puts.length, homes: plan.homes?.length ?? 0, deletes: plan.deletes.length, statuses: plan.statuses.length }, 'schedule written')
    } catch (err) {
      if (err instanceof SchedulerError && err.code === 'DKA_SCHEDULER_DEPOSED') {
        this.stopped = true
        this.o.onDeposed(err)
        return
      }
      this.failures++
      const retryMs = backoffDelay(this.failures, PLAN_RETRY)
      this.o.log.warn({ err: (err as Error).message, retryMs }, 'writing the schedule failed; retrying')
      setTimeout(() => this.markDirty(true), retryMs).unref()
    }
  }
}
