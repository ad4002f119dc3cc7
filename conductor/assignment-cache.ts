// This host's assignments, kept current the way an informer keeps its cache: a kit/mirror.ts
// Mirror of /assign/<host>/ — one paged read, then a watch from just after that read's
// revision, so no change is missed or seen twice; a watch that etcd cancels (a compacted
// revision) is replaced by a fresh read and watch. Values are parsed by the AssignmentBook
// (junk refused there, once per value). The change handler only says which manifest
// changed — the agent enqueues it; nothing is reconciled here. reload() (the agent's full
// pass) reads everything afresh beside the running watch (conductor/renewing-mirror.ts).
import type { Etcd3 } from 'etcd3'
import type { Logger } from 'pino'
import type { KeyLayout } from '../schemas/index.js'
import { RESYNC_BACKOFF } from '../kit/backoff.js'
import { etcdKv } from '../kit/kv.js'
import { AssignmentBook } from './assignment-book.js'
import { manifestKey } from './model.js'
import { RenewingMirror } from './renewing-mirror.js'

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
  private readonly mirror: RenewingMirror

  constructor(o: AssignmentCacheOptions) {
    this.book = new AssignmentBook(o.keys, o.hostId, o.log)
    this.mirror = new RenewingMirror(etcdKv(o.client), o.keys.assignments(o.hostId), {
      reset: (entries, _revision, fresh) => {
        this.book.replaceAll(entries)
        // A re-read after etcd canceled the watch: anything may have changed meanwhile.
        if (!fresh) o.onConnected()
      },
      apply: events => {
        for (const ev of events) {
          const ref = this.book.onKey(ev.key, ev.type === 'put' ? ev.value : undefined)
          if (ref) o.onChange(manifestKey(ref))
        }
      },
    }, {
      backoff: RESYNC_BACKOFF,
      onCanceled: err => o.log.warn({ err: err.message }, 'etcd canceled the assignment watch; reading them again'),
      onResyncError: err => o.log.warn({ err: err.message }, 'cannot read assignments again yet; retrying'),
      onDisconnected: () => o.log.warn('etcd watch disconnected; containers keep running, reconnecting'),
      onConnected: () => o.onConnected(),
    })
  }

  /** The first full read, and the watch from just after it. Throws if etcd does not answer. */
  async start(): Promise<void> {
    await this.mirror.renew()
  }

  /** Reads every assignment of this host again (in pages), replaces the book and watches on
   * from there. Throws if etcd does not answer: the book and its watch keep what they had. */
  async reload(): Promise<void> {
    await this.mirror.renew()
  }

  async stop(): Promise<void> {
    await this.mirror.stop()
  }
}
