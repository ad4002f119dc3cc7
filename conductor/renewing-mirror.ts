// A kit/mirror.ts Mirror that can also be read afresh on demand (the scheduler's periodic
// resync, the agent's full pass). renew() starts a new Mirror beside the current one: the
// current keeps feeding the sink until the new one's read arrives, then the new one takes
// over (its watch starts just after its read, so nothing is missed) and the old is stopped.
// A renew that etcd does not answer leaves the current mirror (and its watch, which etcd3
// resumes by itself after a dropped connection) as it was. Events of a superseded mirror are
// dropped, so a late one can never undo a newer change.
import type { Entry, KeyRange, Kv, WatchEvent } from '../kit/kv.js'
import { Mirror, MirrorUnavailableError, type MirrorOptions } from '../kit/mirror.js'
import { singleFlight } from '../kit/single-flight.js'

export interface RenewingSink {
  /** The whole range as read at `revision`. `fresh`: by start() or renew(); otherwise a re-read
   * after etcd canceled the watch (e.g. its revision was compacted). Must not throw. */
  reset(entries: Entry[], revision: number, fresh: boolean): void
  /** One watch response, events in revision order. Must not throw. */
  apply(events: WatchEvent[], revision: number): void
}

export class RenewingMirror {
  private current?: Mirror
  private currentSeq = 0
  private seq = 0
  private readonly live = new Set<Mirror>()
  private stopped = false

  constructor(
    private readonly kv: Pick<Kv, 'snapshot' | 'watchFrom'>,
    readonly range: KeyRange,
    private readonly sink: RenewingSink,
    private readonly opts: MirrorOptions = {},
  ) {}

  /** The first read and watch (or a fresh one); rejects if etcd does not answer. One at a time. */
  readonly renew = singleFlight(() => this.startOne())

  async stop(): Promise<void> {
    this.stopped = true
    const all = [...this.live]
    this.live.clear()
    this.current = undefined
    await Promise.all(all.map(m => m.stop()))
  }

  private async startOne(): Promise<void> {
    if (this.stopped) throw new MirrorUnavailableError('the copy of etcd is stopped (shutting down)')
    const seq = ++this.seq
    const m: Mirror = new Mirror(this.kv, this.range, {
      reset: (entries, revision) => {
        if (this.stopped || seq < this.currentSeq) return
        const fresh = this.current !== m
        if (fresh) {
          const old = this.current
          this.current = m
          this.currentSeq = seq
          if (old) this.retire(old)
        }
        this.sink.reset(entries, revision, fresh)
      },
      apply: (events, revision) => {
        if (!this.stopped && this.current === m) this.sink.apply(events, revision)
      },
    }, this.opts)
    this.live.add(m)
    try {
      await m.ready()
    } catch (err) {
      // Read but not watched: it stays current (its events are the only ones taken now) and
      // the next renew replaces it; never read: the current one stays.
      if (this.current !== m) this.retire(m)
      throw err
    }
    if (this.stopped) this.retire(m)
  }

  private retire(m: Mirror): void {
    this.live.delete(m)
    void m.stop()
  }
}
