// Keeps the service table current with two etcd watches: a kit/mirror.ts over /ports/ and
// one over /skydns/ (each a consistent paged read, then a watch from the revision after it;
// a full re-read if etcd cancels the watch). Two, not one range from /ports/ to the end of
// /skydns/: that range also holds /registries/ and /secrets/, which an ambassador's etcd
// role may not read (schemas/etcd-roles.ts). No transaction writes both roots (the
// scheduler writes ports, conductors DNS records), so each batch still makes one new
// table; its revision (the DNS SOA serial) is the newest either watch has seen. Queries
// never touch etcd.
import type { Logger } from 'pino'
import type { KeyLayout } from '../schemas/index.js'
import { prefixEnd, type KeyRange, type Kv, type WatchEvent } from '../kit/kv.js'
import { Mirror } from '../kit/mirror.js'
import { ServiceTable } from './service-table.js'

export interface TableSnapshot { table: ServiceTable; revision: number }

export interface TableWatch {
  current(): TableSnapshot
  /** Called after each new table, with the one it replaced. */
  onChange(listener: (next: ServiceTable, previous: ServiceTable) => void): void
  close(): Promise<void>
}

/** The two key ranges the table is built from: every key under /ports/, and under /skydns/. */
export function watchedRanges(keys: KeyLayout): { ports: KeyRange; skydns: KeyRange } {
  return {
    ports: { start: keys.portsRoot, end: prefixEnd(keys.portsRoot) },
    skydns: { start: keys.skydnsRoot, end: prefixEnd(keys.skydnsRoot) },
  }
}

export async function startTableWatch(kv: Kv, keys: KeyLayout, log: Logger): Promise<TableWatch> {
  const skydns = new Map<string, string>()
  const ports = new Map<string, string>()
  let snapshot: TableSnapshot = { table: ServiceTable.empty, revision: 0 }
  const listeners: ((next: ServiceTable, previous: ServiceTable) => void)[] = []

  const set = (key: string, value: string | undefined): void => {
    const map = key.startsWith(keys.skydnsRoot) ? skydns : key.startsWith(keys.portsRoot) ? ports : undefined
    if (!map) return
    if (value === undefined) map.delete(key)
    else map.set(key, value)
  }

  const rebuild = (revision: number): void => {
    const previous = snapshot.table
    const table = ServiceTable.build({ skydns, ports }, keys)
    snapshot = { table, revision }
    // Each unusable record is logged when it first appears, not on every rebuild.
    const known = new Set(previous.problems.map(p => `${p.key}\u0000${p.problem}`))
    for (const p of table.problems) {
      if (!known.has(`${p.key}\u0000${p.problem}`)) log.warn({ key: p.key.slice(0, 300) }, `ignoring service record: ${p.problem}`)
    }
    for (const l of listeners) {
      try { l(table, previous) } catch (err) { log.error({ err }, 'service table listener failed') }
    }
  }

  let newest = 0
  const callbacks = {
    onCanceled: (err: Error) => log.warn({ err: err.message }, 'etcd watch canceled; reading all service records again'),
    onResyncError: (err: Error) => log.warn({ err: err.message }, 'service record resync failed; retrying'),
    onDisconnected: (err: Error) => log.warn({ err: err.message }, 'etcd watch disconnected; resuming when etcd answers'),
  }
  const mirrorOf = (range: KeyRange, records: Map<string, string>) => new Mirror(kv, range, {
    reset(entries, revision) {
      records.clear()
      for (const e of entries) set(e.key, e.value)
      newest = Math.max(newest, revision)
      rebuild(newest)
    },
    apply(events: WatchEvent[], revision) {
      for (const e of events) set(e.key, e.type === 'put' ? e.value : undefined)
      newest = Math.max(newest, revision)
      rebuild(newest)
    },
  }, callbacks)
  const ranges = watchedRanges(keys)
  const mirrors = [mirrorOf(ranges.ports, ports), mirrorOf(ranges.skydns, skydns)]

  try {
    await Promise.all(mirrors.map(m => m.ready()))
  } catch (err) {
    // Neither watch is left running behind a failed start.
    await Promise.all(mirrors.map(m => m.stop().catch(() => {})))
    throw err
  }
  return {
    current: () => snapshot,
    onChange: (l) => { listeners.push(l) },
    close: async () => { await Promise.all(mirrors.map(m => m.stop())) },
  }
}
