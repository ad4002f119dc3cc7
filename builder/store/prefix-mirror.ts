// Keeps a sink current with one etcd prefix: a consistent read, then a watch from the
// revision after it (the pattern of ambassador/table-watch.ts). When etcd cancels the watch
// (compaction) the prefix is read again; a dropped connection resumes by itself.
// Started by the first read, so a builder that never reached etcd holds no watch, and a
// failed start is retried by the next read. `caughtUp(rev)` lets a writer wait until its
// own write is in the copy, so a read after a write sees it.
import { StoreUnavailableError } from '../errors.js'
import type { Entry, Kv, WatchEvent } from './kv.js'

export interface MirrorSink {
  reset(entries: Entry[]): void
  apply(e: WatchEvent): void
}

/** How long a writer waits for the watch to bring its own write before giving up (503). */
const CATCH_UP_MS = 10_000

export class PrefixMirror {
  /** Every change up to this revision is in the sink. */
  private seen = 0
  private starting?: Promise<void>
  private cancel?: () => Promise<void>
  private generation = 0
  private closed = false
  private waiters: { revision: number; resolve: () => void }[] = []

  constructor(
    private readonly kv: Kv,
    private readonly prefix: string,
    private readonly sink: MirrorSink,
    private readonly onResyncError: (err: Error) => void = () => {},
  ) {}

  /** Resolves once the copy is loaded and watched; rejects (and retries next time) if etcd does not answer. */
  ready(): Promise<void> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('builder is shutting down'))
    this.starting ??= this.load().catch(err => { this.starting = undefined; throw err })
    return this.starting
  }

  /** Resolves when the copy holds every change of this prefix up to `revision`. */
  async caughtUp(revision: number): Promise<void> {
    await this.ready()
    if (this.seen >= revision) return
    await new Promise<void>((resolve, reject) => {
      const waiter = { revision, resolve: () => { clearTimeout(timer); resolve() } }
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter(w => w !== waiter)
        reject(new StoreUnavailableError(`written at revision ${revision}, but this builder's etcd watch has not delivered it yet`))
      }, CATCH_UP_MS)
      this.waiters.push(waiter)
    })
  }

  async stop(): Promise<void> {
    this.closed = true
    await this.starting?.catch(() => undefined)
    await this.cancel?.().catch(() => undefined)
    this.cancel = undefined
  }

  private async load(): Promise<void> {
    const generation = ++this.generation
    const { entries, revision } = await this.kv.snapshot(this.prefix)
    this.sink.reset(entries)
    this.advance(revision)
    const cancel = await this.kv.watchFrom(this.prefix, revision + 1, {
      onEvents: events => {
        if (generation !== this.generation) return
        for (const e of events) this.sink.apply(e)
        // Events come in revision order, so the last one's revision covers the batch.
        this.advance(events[events.length - 1]!.modRevision)
      },
      onCanceled: () => { if (generation === this.generation) void this.resync() },
    })
    if (this.closed) { await cancel(); return }
    this.cancel = cancel
  }

  private async resync(): Promise<void> {
    const old = this.cancel
    this.cancel = undefined
    await old?.().catch(() => undefined)
    for (let attempt = 0; !this.closed; attempt++) {
      try {
        this.starting = this.load()
        await this.starting
        return
      } catch (err) {
        this.onResyncError(err as Error)
        await new Promise(r => setTimeout(r, Math.min(500 * 2 ** attempt, 10_000)).unref())
      }
    }
  }

  private advance(revision: number): void {
    if (revision <= this.seen) return
    this.seen = revision
    const ready = this.waiters.filter(w => w.revision <= revision)
    if (ready.length === 0) return
    this.waiters = this.waiters.filter(w => w.revision > revision)
    for (const w of ready) w.resolve()
  }
}
