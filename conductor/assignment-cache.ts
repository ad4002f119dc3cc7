// This host's assignments, kept current the way an informer keeps its cache: one full
// read of /assign/<host>/ in pages (kit/paged-load.ts), then a watch from just after
// that read's revision, so no change is missed or seen twice. Values are parsed by the
// AssignmentBook (junk refused there, once per value). The change handler only says
// which manifest changed — the agent enqueues it; nothing is reconciled here. A watch
// that etcd cancels (a compacted revision) is replaced: read everything again, watch on.
import type { Etcd3, Watcher } from 'etcd3'
import type { Logger } from 'pino'
import type { KeyLayout } from '../schemas/index.js'
import { backoffDelay, RESYNC_BACKOFF } from '../kit/backoff.js'
import { loadPrefix } from '../kit/paged-load.js'
import { singleFlight } from '../kit/single-flight.js'
import { AssignmentBook } from './assignment-book.js'
import { manifestKey } from './model.js'

export interface AssignmentCacheOptions {
  client: Etcd3
  keys: KeyLayout
  hostId: string
  log: Logger
  /** An assignment of manifest `mk` ("app/name") changed: the wanted state is new. */
  onChange: (mk: string) => void
  /** The watch (re)connected to etcd: whatever happened while it was away deserves a full look. */
  onConnected: () => void
}

export class AssignmentCache {
  /** The parsed assignments: desired and rejected, per instance. */
  readonly book: AssignmentBook
  private watcher?: Watcher
  private stopped = false
  private rewatchFailures = 0
  private rewatchTimer?: NodeJS.Timeout
  /** Replaces a cancelled watch; one at a time. */
  private readonly rewatch = singleFlight(() => this.replaceWatch())

  constructor(private readonly o: AssignmentCacheOptions) {
    this.book = new AssignmentBook(o.keys, o.hostId, o.log)
  }

  private get prefix(): string {
    return this.o.keys.assignments(this.o.hostId)
  }

  /** The first full read, and the watch from just after it. Throws if etcd does not answer. */
  async start(): Promise<void> {
    const revision = await this.reload()
    await this.watchFrom(revision + 1)
  }

  /** Reads every assignment of this host again (in pages) and replaces the book; returns the
   * revision read at. Throws if etcd does not answer: the book keeps what it had. */
  async reload(): Promise<number> {
    const { kvs, revision } = await loadPrefix(this.o.client, this.prefix)
    this.book.replaceAll(kvs.map(kv => ({ key: kv.key.toString(), value: kv.value.toString() })))
    return revision
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.rewatchTimer)
    const w = this.watcher
    this.watcher = undefined
    await w?.cancel().catch(() => {})
  }

  private async watchFrom(revision: number): Promise<void> {
    const { o } = this
    const watcher = await o.client.watch().prefix(this.prefix).startRevision(String(revision)).create()
    if (this.stopped) {
      await watcher.cancel().catch(() => {})
      return
    }
    this.watcher = watcher
    watcher.on('put', kv => this.changed(kv.key.toString(), kv.value.toString()))
    watcher.on('delete', kv => this.changed(kv.key.toString(), undefined))
    watcher.on('connected', () => o.onConnected())
    watcher.on('disconnected', () => o.log.warn('etcd watch disconnected; containers keep running, reconnecting'))
    // etcd3 reconnects a broken stream by itself; an 'error' is etcd cancelling this watch.
    watcher.on('error', err => {
      o.log.warn({ err: err.message }, 'etcd watch error')
      if (this.watcher === watcher) void this.rewatch()
    })
  }

  private changed(key: string, value: string | undefined): void {
    const ref = this.book.onKey(key, value)
    if (ref) this.o.onChange(manifestKey(ref))
  }

  private async replaceWatch(): Promise<void> {
    if (this.stopped) return
    const old = this.watcher
    this.watcher = undefined
    await old?.cancel().catch(() => {})
    try {
      await this.watchFrom(await this.reload() + 1)
      this.rewatchFailures = 0
      this.o.onConnected()
    } catch (err) {
      const delay = backoffDelay(this.rewatchFailures++, RESYNC_BACKOFF)
      this.o.log.warn({ err: (err as Error).message, retryInMs: delay }, 'cannot watch assignments again yet; retrying')
      if (!this.stopped) this.rewatchTimer = setTimeout(() => { void this.rewatch() }, delay).unref()
    }
  }
}
