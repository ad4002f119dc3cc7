// Keeps a sink current with one etcd key range — what every Dokkaa process needs from etcd
// (the builder's /apps and /owners, the ambassador's /ports … /skydns): a consistent paged
// read, then a watch from the revision after it, so no change is missed or seen twice.
// When etcd cancels the watch (its start revision was compacted away) the range is read
// again, retried with kit/backoff while etcd does not answer; a dropped connection resumes
// by itself (etcd3 re-watches from the last revision it saw).
// Started by the first ready(), so a process that never reached etcd holds no watch, and a
// failed start is tried again by the next caller. caughtUp(revision) lets a writer wait
// until its own write is in the copy, so a read after a write sees it.
import { backoffDelay, sleep, type BackoffPolicy } from './backoff.js'
import type { Entry, KeyRange, Kv, WatchEvent } from './kv.js'
import { singleFlight } from './single-flight.js'

/** Where the mirrored range goes. It must not throw: it runs inside etcd3's watch callbacks. */
export interface MirrorSink {
  /** The whole range as read at `revision`: the first load, and each one after a canceled watch. */
  reset(entries: Entry[], revision: number): void
  /** One watch response: its events in revision order; `revision` is the last one's. */
  apply(events: WatchEvent[], revision: number): void
}

export interface MirrorOptions {
  /** etcd canceled the watch; a fresh read follows. */
  onCanceled?(err: Error): void
  /** A fresh read after a canceled watch failed; it is tried again after a backoff. */
  onResyncError?(err: Error): void
  /** The watch's connection dropped; it resumes by itself when etcd answers. */
  onDisconnected?(err: Error): void
  /** The watch is back after a dropped connection (etcd3 resumed it from the last revision seen). */
  onConnected?(): void
  /** Keys per page of each read (default kit/kv's); large values want a smaller one. */
  pageSize?: number
  /** How long caughtUp waits for the watch to deliver a revision (default 10 s). */
  catchUpMs?: number
  /** Delays between failed resyncs (default RESYNC_BACKOFF). */
  backoff?: BackoffPolicy
}

/** The copy cannot promise what was asked: the mirror is stopped, or its watch did not deliver a revision in time. */
export class MirrorUnavailableError extends Error {
  readonly code = 'DKA_MIRROR_UNAVAILABLE'
  constructor(message: string) {
    super(message)
    this.name = 'MirrorUnavailableError'
  }
}

const stoppedError = (): MirrorUnavailableError => new MirrorUnavailableError('the copy of etcd is stopped (shutting down)')

const CATCH_UP_MS = 10_000

interface Waiter { revision: number; resolve(): void; reject(err: Error): void }

export class Mirror {
  /** Every change of the range up to this revision is in the sink. */
  private seen = 0
  private loaded = false
  private closed = false
  /** Bumped by every load, so events of a watch that was replaced are dropped. */
  private generation = 0
  private cancelWatch?: () => Promise<void>
  /** The load running now (the first or a resync's), for stop() to let it finish. */
  private loading?: Promise<void>
  /** While a resync runs: its current attempt, failures swallowed (see ready()). */
  private resyncing?: Promise<void>
  private waiters = new Set<Waiter>()
  /** Callers of ready() before the first load share one; a failed one is tried again by the next caller. */
  private readonly firstLoad = singleFlight(() => this.load())

  constructor(
    private readonly kv: Pick<Kv, 'snapshot' | 'watchFrom'>,
    readonly range: KeyRange,
    private readonly sink: MirrorSink,
    private readonly opts: MirrorOptions = {},
  ) {}

  /** The revision the copy is current to (0 before the first load). */
  get revision(): number {
    return this.seen
  }

  /**
   * Resolves once the copy is loaded and watched; rejects if etcd does not answer (the next
   * call tries again). While a resync after a canceled watch runs, waits for its current
   * attempt — a read right after sees the fresh copy — and if etcd does not answer, the copy
   * as last seen is what there is.
   */
  ready(): Promise<void> {
    if (this.closed) return Promise.reject(stoppedError())
    if (!this.loaded) return this.firstLoad()
    return this.resyncing ?? Promise.resolve()
  }

  /** Resolves when the copy holds every change of the range up to `revision`. */
  async caughtUp(revision: number): Promise<void> {
    await this.ready()
    if (this.seen >= revision) return
    if (this.closed) throw stoppedError()
    const ms = this.opts.catchUpMs ?? CATCH_UP_MS
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter)
        reject(new MirrorUnavailableError(`written at revision ${revision}, but the etcd watch has not delivered it within ${ms / 1000} s`))
      }, ms)
      const waiter: Waiter = {
        revision,
        resolve: () => { clearTimeout(timer); resolve() },
        reject: err => { clearTimeout(timer); reject(err) },
      }
      this.waiters.add(waiter)
    })
  }

  async stop(): Promise<void> {
    this.closed = true
    for (const w of this.waiters) w.reject(stoppedError())
    this.waiters.clear()
    await this.loading?.catch(() => undefined)
    await this.cancelWatch?.().catch(() => undefined)
    this.cancelWatch = undefined
  }

  private load(): Promise<void> {
    const run = this.readAndWatch()
    this.loading = run
    return run
  }

  /** Reads the range into the sink, then watches from the revision after the read. */
  private async readAndWatch(): Promise<void> {
    const generation = ++this.generation
    const { pageSize } = this.opts
    const { entries, revision } = await this.kv.snapshot(this.range, pageSize === undefined ? undefined : { pageSize })
    this.sink.reset(entries, revision)
    this.advance(revision)
    const cancel = await this.kv.watchFrom(this.range, revision + 1, {
      onEvents: events => {
        if (generation !== this.generation) return
        // Events come in revision order, so the last one's revision covers the batch.
        const last = events[events.length - 1]!.modRevision
        this.sink.apply(events, last)
        this.advance(last)
      },
      onCanceled: err => { if (generation === this.generation && !this.closed) void this.resync(err) },
      onDisconnected: err => this.opts.onDisconnected?.(err),
      onConnected: () => this.opts.onConnected?.(),
    })
    if (this.closed) { await cancel(); return }
    this.cancelWatch = cancel
    this.loaded = true
  }

  private async resync(canceled: Error): Promise<void> {
    this.opts.onCanceled?.(canceled)
    const old = this.cancelWatch
    this.cancelWatch = undefined
    await old?.().catch(() => undefined)
    for (let attempt = 0; !this.closed; attempt++) {
      const run = this.load()
      this.resyncing = run.catch(() => undefined)
      try {
        await run
        break
      } catch (err) {
        if (this.closed) break
        this.opts.onResyncError?.(err as Error)
        await sleep(backoffDelay(attempt, this.opts.backoff))
      }
    }
    this.resyncing = undefined
  }

  private advance(revision: number): void {
    if (revision <= this.seen) return
    this.seen = revision
    for (const w of this.waiters) {
      if (w.revision > revision) continue
      this.waiters.delete(w)
      w.resolve()
    }
  }
}
