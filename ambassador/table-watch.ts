// Keeps the service table current with ONE etcd watch: a kit/mirror.ts over the key range
// that covers the /ports and /skydns records (a consistent paged read, then a watch from
// the revision after it; a full re-read if etcd cancels the watch). Each watch batch (one
// etcd transaction) produces one new table. Queries never touch etcd.
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

/**
 * The single key range covering both roots. "/ports/" sorts before "/skydns/", and no
 * key of the layout falls between them except ones ServiceTable ignores by parsing.
 */
export function watchedRange(keys: KeyLayout): KeyRange {
  const start = keys.portsRoot
  const skydns = keys.skydnsRoot
  if (start >= skydns) throw new Error('key layout changed: /ports/ must sort before /skydns/')
  return { start, end: prefixEnd(skydns) }
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

  const mirror = new Mirror(kv, watchedRange(keys), {
    reset(entries, revision) {
      skydns.clear()
      ports.clear()
      for (const e of entries) set(e.key, e.value)
      rebuild(revision)
    },
    apply(events: WatchEvent[], revision) {
      for (const e of events) set(e.key, e.type === 'put' ? e.value : undefined)
      rebuild(revision)
    },
  }, {
    onCanceled: err => log.warn({ err: err.message }, 'etcd watch canceled; reading all service records again'),
    onResyncError: err => log.warn({ err: err.message }, 'service record resync failed; retrying'),
    onDisconnected: err => log.warn({ err: err.message }, 'etcd watch disconnected; resuming when etcd answers'),
  })

  await mirror.ready()
  return {
    current: () => snapshot,
    onChange: (l) => { listeners.push(l) },
    close: () => mirror.stop(),
  }
}
