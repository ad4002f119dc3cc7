// An in-memory stand-in for kit/kv.ts's etcdKv, for pure tests of what is built on it (a
// RenewingMirror, a Mirror). It keeps only the part of the Kv interface that
// kv-contract.ts checks, and kv-contract.int.test.ts runs the same checks against the
// real etcd, so the fake cannot drift from what etcd does: revisions as etcd counts them,
// watches from a revision (inclusive) that answer asynchronously, a cut connection that
// resumes from the last revision seen, and a watch cut off while history was compacted
// canceled by "etcd" when it comes back.
import type { Entry, KeyRange, Kv, WatchEvent, WatchHandlers } from '../../kit/kv.js'

/** The slice of Kv the fake implements and the contract pins down. */
export type ContractKv = Pick<Kv, 'get' | 'put' | 'delete' | 'revision' | 'snapshot' | 'watchFrom'>

interface Watch {
  range: KeyRange
  handlers: WatchHandlers
  /** The revision the watch resumes from after a cut (etcd3: the last header seen + 1). */
  next: number
  connected: boolean
  done: boolean
}

function inRange(range: KeyRange, key: string): boolean {
  return typeof range === 'string' ? key.startsWith(range) : key >= range.start && key < range.end
}

export class MemoryKv implements ContractKv {
  private rev = 1
  private compacted = 0
  private readonly store = new Map<string, Entry>()
  private readonly history: WatchEvent[] = []
  private readonly watches = new Set<Watch>()
  private readonly queue: (() => void)[] = []
  private cutOff = false

  async get(key: string): Promise<Entry | undefined> {
    const e = this.store.get(key)
    return e && { ...e }
  }

  async revision(): Promise<number> {
    return this.rev
  }

  async snapshot(range: KeyRange): Promise<{ entries: Entry[]; revision: number }> {
    const entries = [...this.store.values()].filter(e => inRange(range, e.key)).sort((a, b) => (a.key < b.key ? -1 : 1))
    return { entries: entries.map(e => ({ ...e })), revision: this.rev }
  }

  async put(key: string, value: string): Promise<{ entry: Entry; prev?: Entry }> {
    const prev = this.store.get(key)
    const rev = ++this.rev
    const entry = { key, value, createRevision: prev?.createRevision ?? rev, modRevision: rev }
    this.store.set(key, entry)
    this.record({ type: 'put', key, value, modRevision: rev, createRevision: entry.createRevision })
    return { entry: { ...entry }, ...(prev ? { prev } : {}) }
  }

  async delete(key: string): Promise<{ revision: number; prev?: Entry }> {
    const prev = this.store.get(key)
    // etcd counts a revision only for a delete that deleted something.
    if (!prev) return { revision: this.rev }
    this.store.delete(key)
    const rev = ++this.rev
    this.record({ type: 'delete', key, modRevision: rev })
    return { revision: rev, prev }
  }

  async watchFrom(range: KeyRange, fromRevision: number, handlers: WatchHandlers): Promise<() => Promise<void>> {
    const w: Watch = { range, handlers, next: fromRevision, connected: !this.cutOff, done: false }
    this.watches.add(w)
    if (w.connected) this.schedule(() => this.catchUp(w))
    return async () => { this.end(w) }
  }

  /** Drops the watches' connection: each hears onDisconnected; writes and reads go on. */
  cut(): void {
    this.cutOff = true
    for (const w of this.watches) {
      if (!w.connected) continue
      w.connected = false
      this.schedule(() => { if (!w.done) w.handlers.onDisconnected?.(new Error('14 UNAVAILABLE: connection cut')) })
    }
  }

  /** The connection is back: each watch resumes from where it was, or is canceled if that was compacted. */
  restore(): void {
    this.cutOff = false
    for (const w of this.watches) {
      if (w.connected) continue
      w.connected = true
      this.schedule(() => {
        if (w.done) return
        w.handlers.onConnected?.()
        this.catchUp(w)
      })
    }
  }

  /** Forgets history before `revision` (default: the current one), as etcd's compaction does. */
  async compact(revision = this.rev): Promise<number> {
    if (revision > this.rev) throw new Error('etcdserver: mvcc: required revision is a future revision')
    if (revision <= this.compacted) throw new Error('etcdserver: mvcc: required revision has been compacted')
    this.compacted = revision
    const drop = this.history.findIndex(e => e.modRevision >= revision)
    this.history.splice(0, drop < 0 ? this.history.length : drop)
    return revision
  }

  /** How many watches are open (neither canceled by the caller nor by "etcd"). */
  get openWatches(): number {
    return this.watches.size
  }

  private record(event: WatchEvent): void {
    this.history.push(event)
    for (const w of this.watches) {
      if (w.connected && inRange(w.range, event.key)) this.schedule(() => this.deliver(w, [event]))
    }
  }

  /** Everything of the range from the watch's next revision on, or etcd's cancel when that is gone. */
  private catchUp(w: Watch): void {
    if (w.done || !w.connected) return
    if (w.next < this.compacted) {
      this.end(w)
      w.handlers.onCanceled(new Error(`Watcher canceled: required revision ${w.next} has been compacted (at ${this.compacted})`))
      return
    }
    const events = this.history.filter(e => e.modRevision >= w.next && inRange(w.range, e.key))
    w.next = this.rev + 1
    if (events.length) w.handlers.onEvents(events.map(e => ({ ...e })))
  }

  private deliver(w: Watch, events: WatchEvent[]): void {
    if (w.done || !w.connected) return
    // Already sent by a catch-up that ran after the write.
    const fresh = events.filter(e => e.modRevision >= w.next)
    if (!fresh.length) return
    w.next = fresh[fresh.length - 1]!.modRevision + 1
    w.handlers.onEvents(fresh.map(e => ({ ...e })))
  }

  private end(w: Watch): void {
    w.done = true
    this.watches.delete(w)
  }

  /** Watch answers arrive later, in order, never inside the call that caused them. */
  private schedule(fn: () => void): void {
    this.queue.push(fn)
    if (this.queue.length === 1) setImmediate(() => this.flush())
  }

  private flush(): void {
    while (this.queue.length) this.queue.shift()!()
  }
}
