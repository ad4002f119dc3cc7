// A keyed work queue in the style of client-go's workqueue: adding a key that is already
// waiting does nothing, a key is never worked on by two workers at once (added while
// in progress, it runs again afterwards), failures retry with per-key backoff, and a
// key can ask to be looked at again later. Watches and events only ever call add().
import { failureBackoff } from './restart-delay.js'

export type Worker = (key: string) => Promise<{ again?: boolean; retryAt?: number } | void>

export class WorkQueue {
  private readonly waiting: string[] = []
  private readonly queued = new Set<string>()
  private readonly active = new Set<string>()
  private readonly dirty = new Set<string>()
  private readonly failures = new Map<string, number>()
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout; failure: boolean }>()
  private running = 0
  private stopped = false
  private idleWaiters: (() => void)[] = []

  constructor(
    private readonly worker: Worker,
    private readonly concurrency: number,
    private readonly onError: (key: string, err: unknown, failures: number, delayMs: number) => void,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Queues the key, unless it is backing off after a failure (then it runs when that ends).
   * `fresh`: the wanted state changed, so the failure is old news: retry now. */
  add(key: string, fresh = false): void {
    if (this.stopped) return
    if (fresh) this.failures.delete(key)
    const backoff = this.timers.get(key)
    if (backoff?.failure) {
      if (!fresh) return
      clearTimeout(backoff.timer)
      this.timers.delete(key)
    }
    if (this.active.has(key)) {
      this.dirty.add(key)
      return
    }
    if (this.queued.has(key)) return
    this.queued.add(key)
    this.waiting.push(key)
    this.pump()
  }

  /** Adds the key at `at` (ms since epoch); an earlier request wins over a later one. */
  addAt(key: string, at: number): void {
    this.schedule(key, at, false)
  }

  private schedule(key: string, at: number, failure: boolean): void {
    if (this.stopped) return
    const delay = at - this.clock()
    if (delay <= 0 && !failure) return this.add(key)
    const existing = this.timers.get(key)
    if (existing && existing.at <= at && existing.failure === failure) return
    if (existing) clearTimeout(existing.timer)
    const timer = setTimeout(() => {
      this.timers.delete(key)
      this.add(key)
    }, Math.max(0, delay))
    timer.unref()
    this.timers.set(key, { at, timer, failure })
  }

  failureCount(key: string): number {
    return this.failures.get(key) ?? 0
  }

  /** Stops taking work and waits for the keys in progress. */
  async stop(): Promise<void> {
    this.stopped = true
    for (const { timer } of this.timers.values()) clearTimeout(timer)
    this.timers.clear()
    this.waiting.length = 0
    this.queued.clear()
    if (this.running > 0) await new Promise<void>(resolve => this.idleWaiters.push(resolve))
  }

  /** Resolves when nothing is queued or running (timers may still be pending). */
  async idle(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return
    await new Promise<void>(resolve => this.idleWaiters.push(resolve))
  }

  private pump(): void {
    while (!this.stopped && this.running < this.concurrency && this.waiting.length > 0) {
      const key = this.waiting.shift()!
      this.queued.delete(key)
      this.active.add(key)
      this.running++
      void this.run(key)
    }
  }

  private async run(key: string): Promise<void> {
    try {
      const result = await this.worker(key)
      this.failures.delete(key)
      if (result?.again) this.dirty.add(key)
      if (result?.retryAt !== undefined) this.addAt(key, result.retryAt)
    } catch (err) {
      const n = (this.failures.get(key) ?? 0) + 1
      this.failures.set(key, n)
      const delay = failureBackoff(n)
      this.onError(key, err, n, delay)
      this.schedule(key, this.clock() + delay, true)
    } finally {
      this.active.delete(key)
      this.running--
      // Added while running: run again, unless it failed (the backoff timer brings it back).
      if (this.dirty.delete(key) && !this.timers.get(key)?.failure) this.add(key)
      this.pump()
      if (this.running === 0 && this.waiting.length === 0) {
        const waiters = this.idleWaiters
        this.idleWaiters = []
        for (const w of waiters) w()
      }
    }
  }
}
