// Keeps the service table current with ONE etcd watch: a consistent read of the
// /ports and /skydns records, then a watch over the same key range from the revision
// after it. Each watch batch (one etcd transaction) produces one new table. When
// etcd cancels the watch (compaction, say) the whole range is read again; a dropped
// connection resumes by itself (etcd3 re-watches from the last revision it saw).
// Queries never touch etcd.
import { Range, type Etcd3, type IKeyValue, type Watcher } from 'etcd3'
import type { Logger } from 'pino'
import type { KeyLayout } from '../schemas/index.js'
import { loadRange } from '../kit/paged-load.js'
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
export function watchedRange(keys: KeyLayout): Range {
  const start = keys.portsRoot
  const skydns = keys.skydnsRoot
  if (start >= skydns) throw new Error('key layout changed: /ports/ must sort before /skydns/')
  return new Range(start, Range.prefix(skydns).end)
}

export async function startTableWatch(client: Etcd3, keys: KeyLayout, log: Logger): Promise<TableWatch> {
  const range = watchedRange(keys)
  const skydns = new Map<string, string>()
  const ports = new Map<string, string>()
  let snapshot: TableSnapshot = { table: ServiceTable.empty, revision: 0 }
  let watcher: Watcher | undefined
  let closed = false
  const listeners: ((next: ServiceTable, previous: ServiceTable) => void)[] = []

  const mapFor = (key: string): Map<string, string> | undefined =>
    key.startsWith(keys.skydnsRoot) ? skydns : key.startsWith(keys.portsRoot) ? ports : undefined

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

  const load = async (): Promise<number> => {
    // In pages: the records of every app must load however many there are.
    const { kvs, revision } = await loadRange(client, range)
    skydns.clear()
    ports.clear()
    for (const kv of kvs) apply('Put', kv)
    rebuild(revision)
    return revision
  }

  const apply = (type: string, kv: IKeyValue): void => {
    const key = kv.key.toString()
    const map = mapFor(key)
    if (!map) return
    if (type === 'Put') map.set(key, kv.value.toString())
    else map.delete(key)
  }

  const watch = async (fromRevision: number): Promise<void> => {
    const w = await client.watch().inRange(range).startRevision(String(fromRevision + 1)).create()
    if (closed) { await w.cancel(); return }
    watcher = w
    w.on('data', (res) => {
      if (res.events.length === 0) return
      for (const e of res.events) apply(e.type, e.kv)
      rebuild(Number(res.header.revision))
    })
    w.on('disconnected', (err) => log.warn({ err: err.message }, 'etcd watch disconnected; resuming when etcd answers'))
    w.on('connected', () => log.debug('etcd watch connected'))
    w.on('error', (err) => {
      log.warn({ err: err.message }, 'etcd watch canceled; reading all service records again')
      void resync(w)
    })
  }

  const resync = async (old: Watcher): Promise<void> => {
    if (watcher !== old) return
    watcher = undefined
    await old.cancel().catch(() => undefined)
    for (let attempt = 0; !closed; attempt++) {
      try {
        await watch(await load())
        return
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'service record resync failed; retrying')
        await new Promise((r) => setTimeout(r, Math.min(500 * 2 ** attempt, 10_000)))
      }
    }
  }

  await watch(await load())
  return {
    current: () => snapshot,
    onChange: (l) => { listeners.push(l) },
    close: async () => {
      closed = true
      await watcher?.cancel().catch(() => undefined)
    },
  }
}
