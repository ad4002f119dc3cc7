// The narrow slice of etcd the builder uses, over etcd3. Entries carry etcd's revisions
// because the v2 keys API reports them as createdIndex/modifiedIndex. Prefix reads go
// through kit/paged-load.ts: a single range over /apps (or /assign, /tokens…) once failed
// for everyone as soon as its values passed gRPC's 4 MiB message limit.
import type { Etcd3, IKeyValue, Watcher } from 'etcd3'
import { loadPrefix } from '../../kit/paged-load.js'

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

/** What a mirror needs to hear from a watch started at a known revision. */
export interface WatchHandlers {
  /** One etcd watch response: its events in revision order. */
  onEvents(events: WatchEvent[]): void
  /** etcd canceled the watch (e.g. the start revision was compacted): read everything again. */
  onCanceled(err: Error): void
}

export interface Kv {
  get(key: string): Promise<Entry | undefined>
  /** Every key under the prefix, in key order, read in pages at one revision. */
  list(prefix: string): Promise<Entry[]>
  /** How many keys are under the prefix (the answer is one number, whatever their size). */
  count(prefix: string): Promise<number>
  /** A consistent read of a prefix, with the store revision it was read at (paged; watch from revision + 1). */
  snapshot(prefix: string): Promise<{ entries: Entry[]; revision: number }>
  /** Current store revision (the v2 API's X-Etcd-Index). */
  revision(): Promise<number>
  put(key: string, value: string): Promise<{ entry: Entry; prev?: Entry }>
  /** Writes only if the key does not exist; returns the winner's entry either way. */
  create(key: string, value: string): Promise<{ created: boolean; entry: Entry }>
  /** Compare-and-swap on modRevision (0 = must not exist): the write's revision, or undefined when someone else wrote first. */
  swap(key: string, expectModRevision: number, value: string): Promise<number | undefined>
  delete(key: string): Promise<{ revision: number; prev?: Entry }>
  deletePrefix(prefix: string): Promise<number>
  watchPrefix(prefix: string, onEvent: (e: WatchEvent) => void): Promise<() => Promise<void>>
  /** Watches a prefix from `fromRevision` on (inclusive); resolves once etcd accepted the watch. */
  watchFrom(prefix: string, fromRevision: number, handlers: WatchHandlers): Promise<() => Promise<void>>
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
    async snapshot(prefix) {
      const { kvs, revision } = await loadPrefix(client, prefix)
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
    async deletePrefix(prefix) {
      const res = await client.delete().prefix(prefix).exec()
      return Number(res.deleted)
    },
    async watchPrefix(prefix, onEvent) {
      const watcher: Watcher = await client.watch().prefix(prefix).create()
      watcher.on('put', kv => onEvent({ type: 'put', key: kv.key.toString(), value: kv.value.toString(), modRevision: Number(kv.mod_revision) }))
      watcher.on('delete', kv => onEvent({ type: 'delete', key: kv.key.toString(), modRevision: Number(kv.mod_revision) }))
      // etcd3 reconnects a broken watch itself and resumes from the last revision seen.
      watcher.on('error', () => {})
      return () => watcher.cancel()
    },
    async watchFrom(prefix, fromRevision, handlers) {
      const watcher: Watcher = await client.watch().prefix(prefix).startRevision(String(fromRevision)).create()
      watcher.on('data', res => { if (res.events.length) handlers.onEvents(res.events.map(e => toEvent(e.type, e.kv))) })
      // A dropped connection resumes by itself from the last revision seen; 'error' means
      // etcd canceled the watch, and only a fresh read can catch up.
      watcher.on('error', err => handlers.onCanceled(err))
      return () => watcher.cancel()
    },
  }
}
