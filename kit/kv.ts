// The narrow slice of etcd the parts use, over etcd3: string keys and values with etcd's
// revisions (the builder's v2 keys API reports them as createdIndex/modifiedIndex; a
// mirror's caughtUp waits for them). Reads of many keys go through paged-load.ts: a
// single range over /apps (or /assign, /tokens…) once failed for everyone as soon as its
// values passed gRPC's 4 MiB message limit. Leases (what a conductor says about its host
// lives under one) are granted, kept alive and lost here too, so no part needs etcd3 itself.
import { Range, type Etcd3, type IKeyValue, type Watcher } from 'etcd3'
import { describeEtcdError } from './etcd-errors.js'
import { loadPrefix, loadRange } from './paged-load.js'

/** The client the bins make (kit/etcd-client.ts); what etcdKv wraps. */
export type EtcdClient = Etcd3

export interface Entry {
  key: string
  value: string
  createRevision: number
  modRevision: number
}

export interface WatchEvent {
  type: 'put' | 'delete'
  key: string
  value?: string
  /** For a delete: the revision of the deletion. */
  modRevision: number
  /** For a put. */
  createRevision?: number
}

/** The keys a snapshot or a watch covers: every key under a prefix, or the keys in [start, end). */
export type KeyRange = string | { start: string; end: string }

/** What a mirror needs to hear from a watch started at a known revision. */
export interface WatchHandlers {
  /** One etcd watch response: its events in revision order. */
  onEvents(events: WatchEvent[]): void
  /** etcd canceled the watch (e.g. the start revision was compacted): read everything again. */
  onCanceled(err: Error): void
  /** The connection dropped; etcd3 resumes the watch from the last revision seen once etcd answers. */
  onDisconnected?(err: Error): void
  /** The watch is back after a dropped connection (not called for its first start). */
  onConnected?(): void
}

export interface SnapshotOptions {
  /** Keys per page to start with (halved while etcd refuses a page as too large); default 500. */
  pageSize?: number
}

/** A write under a lease that happens only while the key is absent, or still under the lease named. */
export type LeaseCondition = 'absent' | { lease: string }

/** A granted lease, kept alive by etcd3 until it is released or revoked. */
export interface KvLease {
  /** etcd's id of the lease (a decimal string). */
  readonly id: string
  /**
   * Writes `key` under this lease. Without `only` it resolves true, and a write etcd refuses
   * because it no longer knows the lease also reports the loss (the grant's onLost). With
   * `only`, a transaction: resolves whether the condition held and the key was written.
   */
  put(key: string, value: string, only?: LeaseCondition): Promise<boolean>
  /** Stops the keep-alives without revoking: the keys stay until the TTL runs out. */
  release(): void
  /** Ends the lease now: etcd deletes every key under it. */
  revoke(): Promise<void>
}

/** A guard of a transaction: the key exists (or does not). */
export interface KvCondition {
  key: string
  exists: boolean
}

/** One write of a transaction. */
export type KvOp = { kind: 'put'; key: string; value: string } | { kind: 'delete'; key: string }

export interface Kv {
  get(key: string): Promise<Entry | undefined>
  /** Every key under the prefix, in key order, read in pages at one revision. */
  list(prefix: string): Promise<Entry[]>
  /** How many keys are under the prefix (the answer is one number, whatever their size). */
  count(prefix: string): Promise<number>
  /** A consistent read of a range, with the store revision it was read at (paged; watch from revision + 1). */
  snapshot(range: KeyRange, opts?: SnapshotOptions): Promise<{ entries: Entry[]; revision: number }>
  /** Current store revision (the v2 API's X-Etcd-Index). */
  revision(): Promise<number>
  put(key: string, value: string): Promise<{ entry: Entry; prev?: Entry }>
  /** Writes only if the key does not exist; returns the winner's entry either way. */
  create(key: string, value: string): Promise<{ created: boolean; entry: Entry }>
  /** Compare-and-swap on modRevision (0 = must not exist): the write's revision, or undefined when someone else wrote first. */
  swap(key: string, expectModRevision: number, value: string): Promise<number | undefined>
  delete(key: string): Promise<{ revision: number; prev?: Entry }>
  /** Deletes the key only while it holds `value`: 'deleted', 'absent' (no such key), or 'changed' (another value is there). */
  deleteIf(key: string, value: string): Promise<'deleted' | 'absent' | 'changed'>
  /**
   * Every op at once, only while every condition holds (etcd's Txn): the revision of the
   * commit, or undefined when a condition did not hold and nothing was written. etcd refuses
   * more than 128 ops (--max-txn-ops) or 1.5 MiB: the caller cuts larger batches.
   */
  txn(conditions: readonly [KvCondition, ...KvCondition[]], ops: readonly KvOp[]): Promise<number | undefined>
  /**
   * Grants a lease of `ttl` seconds and keeps it alive. Rejects when etcd does not grant it;
   * once granted, `onLost` hears, once, that it is gone: keep-alives failed past the TTL, or
   * etcd said it no longer knows the lease.
   */
  grantLease(ttl: number, onLost: (err: Error) => void): Promise<KvLease>
  /** Watches a prefix from now on, event by event; resolves with the watch's cancel once etcd accepted it. */
  watchPrefix(prefix: string, onEvent: (e: WatchEvent) => void): Promise<() => Promise<void>>
  /** Watches a range from `fromRevision` on (inclusive); resolves with the watch's cancel once etcd accepted it. */
  watchFrom(range: KeyRange, fromRevision: number, handlers: WatchHandlers): Promise<() => Promise<void>>
}

/**
 * The first key past every key under `prefix`, for a KeyRange that ends with a prefix: etcd's
 * rule (the last byte plus one), for prefixes that end in an ASCII character — every prefix
 * of the key layout ends with "/".
 */
export function prefixEnd(prefix: string): string {
  const last = prefix.charCodeAt(prefix.length - 1)
  if (!(last < 0x7f)) throw new Error(`prefixEnd: "${prefix}" does not end in an ASCII character`)
  return prefix.slice(0, -1) + String.fromCharCode(last + 1)
}

function etcdRange(range: KeyRange): Range {
  return typeof range === 'string' ? Range.prefix(range) : new Range(range.start, range.end)
}

function toEvent(type: string, kv: IKeyValue): WatchEvent {
  return type === 'Put'
    ? { type: 'put', key: kv.key.toString(), value: kv.value.toString(), modRevision: Number(kv.mod_revision), createRevision: Number(kv.create_revision) }
    : { type: 'delete', key: kv.key.toString(), modRevision: Number(kv.mod_revision) }
}

function toEntry(kv: IKeyValue): Entry {
  return {
    key: kv.key.toString(),
    value: kv.value.toString(),
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
  }
}

/** `source` as a Kv: a Kv as it is, an etcd client wrapped by etcdKv. */
export function kvOf(source: Kv | EtcdClient): Kv {
  return 'snapshot' in source ? source : etcdKv(source)
}

async function grantLease(client: Etcd3, ttl: number, onLost: (err: Error) => void): Promise<KvLease> {
  const lease = client.lease(ttl, { autoKeepAlive: true })
  let granted = false
  let lost = false
  const lose = (err: Error) => {
    if (!granted || lost) return
    lost = true
    onLost(err)
  }
  // Before the grant, a 'lost' is the failed grant itself: grant() rejects with it below.
  lease.on('lost', lose)
  let id: string
  try {
    id = await lease.grant()
  } catch (err) {
    lease.release()
    throw err
  }
  granted = true
  const putUnder = (key: string, value: string) => client.put(key).value(value).lease(id)
  return {
    id,
    async put(key, value, only) {
      if (only === undefined) {
        try {
          await putUnder(key, value).exec()
        } catch (err) {
          // As etcd3's own lease.put(): a lease etcd no longer knows is lost, keep-alives end.
          if (describeEtcdError(err).kind === 'lease-lost') { lease.release(); lose(err as Error) }
          throw err
        }
        return true
      }
      const txn = only === 'absent' ? client.if(key, 'Create', '==', 0) : client.if(key, 'Lease', '==', only.lease)
      return (await txn.then(putUnder(key, value)).commit()).succeeded
    },
    release: () => lease.release(),
    revoke: () => lease.revoke(),
  }
}

export function etcdKv(client: Etcd3): Kv {
  return {
    async get(key) {
      const res = await client.get(key).exec()
      const kv = res.kvs[0]
      return kv ? toEntry(kv) : undefined
    },
    async list(prefix) {
      return (await loadPrefix(client, prefix)).kvs.map(toEntry)
    },
    async count(prefix) {
      return client.getAll().prefix(prefix).count()
    },
    async snapshot(range, opts) {
      const { kvs, revision } = await loadRange(client, etcdRange(range), opts?.pageSize === undefined ? {} : { pageSize: opts.pageSize })
      return { entries: kvs.map(toEntry), revision }
    },
    async revision() {
      const res = await client.get('\u0000').exec()
      return Number(res.header.revision)
    },
    async put(key, value) {
      const res = await client.put(key).value(value).getPrevious()
      const rev = Number(res.header.revision)
      const prev = res.key ? toEntry(res) : undefined
      return { entry: { key, value, createRevision: prev?.createRevision ?? rev, modRevision: rev }, prev }
    },
    async create(key, value) {
      const res = await client.if(key, 'Create', '==', 0)
        .then(client.put(key).value(value))
        .else(client.get(key))
        .commit()
      if (res.succeeded) {
        const rev = Number(res.header.revision)
        return { created: true, entry: { key, value, createRevision: rev, modRevision: rev } }
      }
      const kv = res.responses[0]?.response_range?.kvs[0]
      if (!kv) throw new Error(`etcd: ${key} vanished during create`)
      return { created: false, entry: toEntry(kv) }
    },
    async swap(key, expectModRevision, value) {
      const res = await client.if(key, 'Mod', '==', expectModRevision)
        .then(client.put(key).value(value))
        .commit()
      return res.succeeded ? Number(res.header.revision) : undefined
    },
    async delete(key) {
      // etcd3's builder does not expose prev_kv together with the header; read first.
      const before = await client.get(key).exec()
      const res = await client.delete().key(key).exec()
      const prev = Number(res.deleted) > 0 ? before.kvs[0] : undefined
      return { revision: Number(res.header.revision), prev: prev ? toEntry(prev) : undefined }
    },
    async deleteIf(key, value) {
      const res = await client.if(key, 'Value', '==', value).then(client.delete().key(key))
        .else(client.get(key)).commit()
      if (res.succeeded) return 'deleted'
      return (res.responses[0]?.response_range?.kvs.length ?? 0) > 0 ? 'changed' : 'absent'
    },
    async txn(conditions, ops) {
      const guard = (c: KvCondition) => [c.key, 'Create', c.exists ? '>' : '==', 0] as const
      let cmp = client.if(...guard(conditions[0]))
      for (const c of conditions.slice(1)) cmp = cmp.and(...guard(c))
      const res = await cmp.then(...ops.map(op => (op.kind === 'put' ? client.put(op.key).value(op.value) : client.delete().key(op.key)))).commit()
      return res.succeeded ? Number(res.header.revision) : undefined
    },
    grantLease: (ttl, onLost) => grantLease(client, ttl, onLost),
    async watchPrefix(prefix, onEvent) {
      const watcher: Watcher = await client.watch().prefix(prefix).create()
      watcher.on('put', kv => onEvent({ type: 'put', key: kv.key.toString(), value: kv.value.toString(), modRevision: Number(kv.mod_revision) }))
      watcher.on('delete', kv => onEvent({ type: 'delete', key: kv.key.toString(), modRevision: Number(kv.mod_revision) }))
      // etcd3 reconnects a broken watch itself and resumes from the last revision seen.
      watcher.on('error', () => {})
      return () => watcher.cancel()
    },
    async watchFrom(range, fromRevision, handlers) {
      const watcher: Watcher = await client.watch().inRange(etcdRange(range)).startRevision(String(fromRevision)).create()
      let canceledByEtcd = false
      watcher.on('data', res => { if (res.events.length) handlers.onEvents(res.events.map(e => toEvent(e.type, e.kv))) })
      watcher.on('disconnected', (err: Error) => handlers.onDisconnected?.(err))
      // Attached after create() resolved, so only a reconnect after a dropped connection.
      watcher.on('connected', () => handlers.onConnected?.())
      // A dropped connection resumes by itself from the last revision seen; 'error' means
      // etcd canceled the watch, and only a fresh read can catch up.
      watcher.on('error', err => { canceledByEtcd = true; handlers.onCanceled(err) })
      // A watch etcd canceled is gone: asking etcd to cancel it again would wait forever
      // for an answer that never comes (etcd ignores a cancel of an unknown watch id).
      return async () => { if (!canceledByEtcd) await watcher.cancel() }
    },
  }
}
