// Hosts with their capacity (from the conductor's HostRecord) and load (instances the
// scheduler assigned to them), and the address of the agent that serves an instance's logs.
// Records are shape-checked (record-shapes.ts); load is a count per host, so the size of
// the assignments (each carries its spec) never matters.
import { isHostId, type HostRecord, type KeyLayout } from '../../schemas/index.js'
import type { Kv } from '../../kit/kv.js'
import { readHost } from './record-shapes.js'

export interface HostView extends HostRecord {
  /** Instances assigned to this host right now. */
  load: number
}

export async function listHosts(kv: Kv, keys: KeyLayout): Promise<HostView[]> {
  const hosts = (await kv.list(keys.hosts))
    .map(e => { const id = keys.parseHost(e.key); return id ? readHost(id, e.value) : undefined })
    .filter((h): h is HostRecord => h !== undefined)
  const loads = await Promise.all(hosts.map(h => kv.count(keys.assignments(h.id))))
  return hosts.map((h, i) => ({ ...h, load: loads[i]! })).sort((a, b) => a.id.localeCompare(b.id))
}

export async function getHost(kv: Kv, keys: KeyLayout, id: string): Promise<HostRecord | undefined> {
  if (!isHostId(id)) return undefined
  return readHost(id, (await kv.get(keys.host(id)))?.value)
}
