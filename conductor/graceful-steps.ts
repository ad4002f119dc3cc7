// The steps that take a container out of service gracefully — retire (then remove), stop
// (the run state) and restart — each in three phases: withdraw (the manifest is announced
// again without the container: its SkyDNS records go, so ambassadors send it no new
// connections), drain (--drain-delay, so their watches have seen it and open requests
// finish; only for a container that was in SkyDNS), then Docker's stop with the
// container's stop signal and grace period. They take seconds, so they run here in the
// background, one per container: the manifest's sync and every other manifest go on, and
// reconcile leaves a container alone while its step is in flight. A conductor shutting
// down abandons the waits and stops nothing (containers keep running).
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import type { GracefulKind, GracefulStep } from './model.js'
import { manifestKey } from './model.js'

/** How long a withdrawal may take to reach etcd before the stop goes ahead anyway (etcd is
 * down: the records expire with the lease, and Docker work never waits for etcd). */
export const WITHDRAW_TIMEOUT_MS = 5_000

export interface GracefulDeps {
  /** Announces manifest `mk` again (in-flight containers are withdrawn); resolves once written. */
  withdraw(mk: string): Promise<void>
  /** Docker's part of the step (driver.ts), with the grace period. */
  act(step: GracefulStep, graceMs: number | undefined, log: Logger): Promise<void>
  /** The container's health check ends before it stops (a restart starts a fresh one). */
  unwatch(containerId: string): void
  drainMs: number
  withdrawTimeoutMs?: number
}

export interface GracefulOptions {
  /** The container was in SkyDNS: wait the drain delay after withdrawing it. */
  drain: boolean
  /** Absent: the container's own (set at create from the spec), else Docker's 10 s. */
  graceMs?: number
  log: Logger
  /** The step ended, `err` when it failed (`failures`: in a row, for this container). Not
   * called for a step abandoned because the conductor shuts down. */
  finished(err: Error | undefined, failures: number): void
}

export class GracefulSteps {
  private readonly running = new Map<string, { kind: GracefulKind; done: Promise<void> }>()
  private readonly failures = new Map<string, number>()
  private readonly closing = new AbortController()

  constructor(private readonly deps: GracefulDeps) {}

  /** The step under way on a container, if any. */
  inFlight(containerId: string): GracefulKind | undefined {
    return this.running.get(containerId)?.kind
  }

  /** Starts the step unless one is under way on its container; returns at once. */
  begin(step: GracefulStep, o: GracefulOptions): void {
    if (this.running.has(step.containerId) || this.closing.signal.aborted) return
    const entry = { kind: step.kind, done: Promise.resolve() }
    this.running.set(step.containerId, entry)
    entry.done = this.run(step, o)
  }

  /** Abandons the waits: no container is stopped from now on. */
  close(): void {
    this.closing.abort()
  }

  /** Resolves when no step is under way (tests). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()].map(r => r.done))
  }

  private async run(step: GracefulStep, o: GracefulOptions): Promise<void> {
    const { deps } = this
    const signal = this.closing.signal
    let err: Error | undefined
    try {
      await this.withdraw(step, o.log)
      if (o.drain && deps.drainMs > 0) {
        o.log.info({ step: step.kind, container: step.containerId.slice(0, 12), drainMs: deps.drainMs }, 'withdrawn; draining')
        await sleep(deps.drainMs, undefined, { signal })
      }
      if (signal.aborted) return
      deps.unwatch(step.containerId)
      await deps.act(step, o.graceMs, o.log)
    } catch (e) {
      if (signal.aborted) return
      err = e as Error
    } finally {
      this.running.delete(step.containerId)
    }
    if (signal.aborted) return
    const failures = err ? (this.failures.get(step.containerId) ?? 0) + 1 : 0
    if (err) this.failures.set(step.containerId, failures)
    else this.failures.delete(step.containerId)
    o.finished(err, failures)
  }

  private async withdraw(step: GracefulStep, log: Logger): Promise<void> {
    const ms = this.deps.withdrawTimeoutMs ?? WITHDRAW_TIMEOUT_MS
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`etcd did not answer within ${ms} ms`)), ms) })
    try {
      await Promise.race([this.deps.withdraw(manifestKey(step.ref)), late])
    } catch (err) {
      log.warn({ step: step.kind, err: (err as Error).message }, 'cannot withdraw the container from SkyDNS; stopping it after the drain delay anyway')
    } finally {
      clearTimeout(timer)
    }
  }
}
