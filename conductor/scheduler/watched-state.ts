// Keeps the ClusterCache current: one kit/mirror.ts Mirror per prefix (a paged read, then a
// watch from just after that read's revision, so no event is missed or seen twice, and a
// fresh read when etcd cancels the watch — e.g. its revision was compacted). Watch events
// only update the cache and say "something changed" (level-triggered): the loop re-plans
// from the whole cache, never from an event. Manifests are read in small pages: users grow
// /apps, and a single range over it once failed for everyone past gRPC's 4 MiB. reload()
// reads everything afresh beside the running watches (conductor/renewing-mirror.ts).
import type { Logger } from 'pino'
import type { Entry, Kv, WatchEvent } from '../../kit/kv.js'
import { singleFlight } from '../../kit/single-flight.js'
import { RenewingMirror } from '../renewing-mirror.js'
import type { CachedKv, ClusterCache } from './cluster-cache.js'
import { fromEtcdError } from './errors.js'

/** `urgent`: a manifest, control, host or assignment changed; otherwise only an instance report. */
export type OnChange = (urgent: boolean) => void

export class WatchedState {
  private readonly mirrors: RenewingMirror[]
  private stopped = false
  private loads = 0
  /** Set while load() reads: its resets are counted, and it says "changed" once at the end. */
  private reading?: { keys: number; bytes: number }

  constructor(
    kv: Kv,
    readonly cache: ClusterCache,
    private readonly onChange: OnChange,
    private readonly log: Logger,
  ) {
    this.mirrors = cache.prefixes().map(prefix => {
      const pageSize = cache.pageSize(prefix)
      return new RenewingMirror(kv, prefix, {
        reset: entries => this.onReset(prefix, entries),
        apply: events => this.onEvents(events),
      }, {
        ...(pageSize === undefined ? {} : { pageSize }),
        onCanceled: err => log.warn({ prefix, err: err.message }, 'scheduler watch canceled by etcd; reading the prefix again'),
        onResyncError: err => log.warn({ prefix, err: err.message }, 'scheduler cannot read the prefix again yet; retrying'),
      })
    })
  }

  /** Reads every prefix afresh and (re)starts the watches; the running ones feed the cache until then. */
  async load(): Promise<void> {
    if (this.stopped) return
    const started = Date.now()
    const reading = { keys: 0, bytes: 0 }
    this.reading = reading
    try {
      await Promise.all(this.mirrors.map(m => m.renew()))
    } catch (err) {
      if (this.stopped) return
      throw fromEtcdError(err, 'read the cluster state')
    } finally {
      if (this.reading === reading) this.reading = undefined
    }
    if (this.stopped) return
    // The first read says how large the cluster state is and how long it took (failover time).
    this.log[this.loads++ === 0 ? 'info' : 'debug']({ ...reading, ms: Date.now() - started }, 'scheduler read the cluster state')
    this.onChange(true)
  }

  /** A fresh read in the background (the periodic resync); one at a time, retried after a failure. */
  readonly reload = singleFlight(() => this.load().catch(err => {
    this.log.warn({ err: (err as Error).message }, 'scheduler resync failed; retrying')
    if (!this.stopped) setTimeout(() => void this.reload(), 1000).unref()
  }))

  async stop(): Promise<void> {
    this.stopped = true
    await Promise.all(this.mirrors.map(m => m.stop()))
  }

  private onReset(prefix: string, entries: Entry[]): void {
    const reading = this.reading
    if (reading) {
      reading.keys += entries.length
      for (const e of entries) reading.bytes += Buffer.byteLength(e.key) + Buffer.byteLength(e.value)
    }
    this.cache.replacePrefix(prefix, new Map(entries.map(e => [e.key, cached(e)])))
    // A re-read after etcd canceled a watch: the cache may have changed anywhere.
    if (!reading && !this.stopped) this.onChange(true)
  }

  private onEvents(events: WatchEvent[]): void {
    let urgent = false
    let changed = false
    for (const ev of events) {
      const did = ev.type === 'put'
        ? this.cache.put(ev.key, { value: ev.value ?? '', modRevision: ev.modRevision, ...(ev.createRevision === undefined ? {} : { createRevision: ev.createRevision }) })
        : this.cache.delete(ev.key, ev.modRevision)
      if (!did || this.cache.isStatus(ev.key)) continue
      changed = true
      if (this.cache.kindOf(ev.key) !== 'instance') urgent = true
    }
    if (changed && !this.stopped) this.onChange(urgent)
  }
}

function cached(e: Entry): CachedKv {
  return { value: e.value, modRevision: e.modRevision, createRevision: e.createRevision }
}
