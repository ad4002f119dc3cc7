// Keeps the ClusterCache current: one read per prefix, then a watch from just after
// that read's revision, so no event is missed or seen twice. Watch events only update
// the cache and say "something changed" (level-triggered): the loop re-plans from the
// whole cache, never from an event. Each read is paged (kit/paged-load.ts): users grow
// /apps, and a single range over it once failed for everyone past gRPC's 4 MiB.
import type { Etcd3, IKeyValue, IWatchResponse, Watcher } from 'etcd3'
import type { Logger } from 'pino'
import { loadPrefix } from '../../kit/paged-load.js'
import { singleFlight } from '../../kit/single-flight.js'
import type { ClusterCache } from './cluster-cache.js'
import { fromEtcdError } from './errors.js'

/** `urgent`: a manifest, control, host or assignment changed; otherwise only an instance report. */
export type OnChange = (urgent: boolean) => void

export class WatchedState {
  private watchers: Watcher[] = []
  private stopped = false
  private loads = 0

  constructor(
    private readonly client: Etcd3,
    readonly cache: ClusterCache,
    private readonly onChange: OnChange,
    private readonly log: Logger,
  ) {}

  /** Reads every prefix afresh and (re)starts the watches. */
  async load(): Promise<void> {
    await this.cancelWatchers()
    const started = Date.now()
    let keys = 0
    let bytes = 0
    try {
      for (const prefix of this.cache.prefixes()) {
        if (this.stopped) return
        const snap = await loadPrefix(this.client, prefix, { pageSize: this.cache.pageSize(prefix) })
        keys += snap.kvs.length
        for (const kv of snap.kvs) bytes += kv.key.length + kv.value.length
        this.cache.replacePrefix(prefix, new Map(snap.kvs.map(kv => [kv.key.toString(), cached(kv)])))
        const watcher = await this.client.watch().prefix(prefix)
          .startRevision(String(snap.revision + 1)).create()
        watcher.on('data', (r: IWatchResponse) => this.onEvents(r))
        watcher.on('error', err => this.onWatchError(prefix, err))
        this.watchers.push(watcher)
        if (this.stopped) await this.cancelWatchers()
      }
    } catch (err) {
      throw fromEtcdError(err, 'read the cluster state')
    }
    // The first read says how large the cluster state is and how long it took (failover time).
    this.log[this.loads++ === 0 ? 'info' : 'debug']({ keys, bytes, ms: Date.now() - started }, 'scheduler read the cluster state')
    this.onChange(true)
  }

  /** A fresh read in the background (a periodic resync, or after a broken watch); one at a time. */
  readonly reload = singleFlight(() => this.load().catch(err => {
    this.log.warn({ err: (err as Error).message }, 'scheduler resync failed; retrying')
    if (!this.stopped) setTimeout(() => void this.reload(), 1000).unref()
  }))

  async stop(): Promise<void> {
    this.stopped = true
    await this.cancelWatchers()
  }

  private onEvents(res: IWatchResponse): void {
    let urgent = false
    let changed = false
    for (const ev of res.events) {
      const key = ev.kv.key.toString()
      const did = ev.type === 'Put' ? this.cache.put(key, cached(ev.kv)) : this.cache.delete(key, Number(ev.kv.mod_revision))
      if (!did || this.cache.isStatus(key)) continue
      changed = true
      if (this.cache.kindOf(key) !== 'instance') urgent = true
    }
    if (changed) this.onChange(urgent)
  }

  private onWatchError(prefix: string, err: Error): void {
    if (this.stopped) return
    this.log.warn({ prefix, err: err.message }, 'scheduler watch failed; reading everything again')
    void this.reload()
  }

  private async cancelWatchers(): Promise<void> {
    const ws = this.watchers
    this.watchers = []
    await Promise.all(ws.map(w => w.cancel().catch(() => undefined)))
  }
}

function cached(kv: IKeyValue): { value: string; modRevision: number; createRevision: number } {
  return { value: kv.value.toString(), modRevision: Number(kv.mod_revision), createRevision: Number(kv.create_revision) }
}
