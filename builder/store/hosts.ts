// Hosts with their capacity (from the conductor's HostRecord) and load (instances the
// scheduler assigned to them), and the address of the agent that serves an instance's logs.
import type { HostRecord, KeyLayout } from '../../schemas/index.js'
import type { Kv } from './kv.js'

export interface HostView extends HostRecord {
  /** Instances assigned to this host right now. */
  load: number
}

export async function listHosts(kv: Kv, keys: KeyLayout): Promise<HostView[]> {
  const [hosts, assigned] = await Promise.all([kv.list(keys.hosts), kv.list(keys.assignRoot)])
  const load = new Map<string, number>()
  for (const e of assigned) {
    const a = keys.parseAssignment(e.key)
    if (a) load.set(a.host, (load.get(a.host) ?? 0) + 1)
  }
  const out: HostView[] = []
  for (const e of hosts) {
    const id = keys.parseHost(e.key)
    if (!id) continue
    try {
      const rec = JSON.parse(e.value) as HostRecord
      out.push({ ...rec, id, load: load.get(id) ?? 0 })
    } catch { /* a half-written record is skipped, the next watch event brings it */ }
  }
  return out.sort((a, b) => a.id.localeCompare(b.id))
}

export async function getHost(kv: Kv, keys: KeyLayout, id: string): Promise<HostRecord | undefined> {
  const e = await kv.get(keys.host(id))
  if (!e) return undefined
  try { return JSON.parse(e.value) as HostRecord } catch { return undefined }
}
