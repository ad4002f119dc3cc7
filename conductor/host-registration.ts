// The host record (/hosts/<id>): what the scheduler places by and the builder reads the
// agent API's URL from. Written under the host lease, so it vanishes with a dead host.
import type { HostRecord, KeyLayout } from '../schemas/index.js'
import type { EngineInfo } from './docker-engine.js'
import type { LeaseKeeper } from './lease-keeper.js'

export interface HostFacts {
  hostId: string
  hostAddress: string
  labels: Record<string, string>
  /** undefined: containers get no ambassador DNS. */
  ambassadorAddress?: string
  agentUrl?: string
}

/** The record of this host: its facts, the engine's size and version, when it started. */
export function hostRecord(facts: HostFacts, info: EngineInfo, now: number): HostRecord {
  const host: HostRecord = {
    id: facts.hostId, address: facts.hostAddress, labels: facts.labels, cpus: info.cpus, memory: info.memory,
    engineVersion: info.version, startedAt: new Date(now).toISOString(),
  }
  if (facts.ambassadorAddress) host.ambassadorAddress = facts.ambassadorAddress
  if (facts.agentUrl) host.agentUrl = facts.agentUrl
  return host
}

/** Writes the host record under the lease (kept there across lease losses by the keeper). */
export async function registerHost(lease: LeaseKeeper, keys: KeyLayout, facts: HostFacts, info: EngineInfo, now: number): Promise<HostRecord> {
  const host = hostRecord(facts, info, now)
  await lease.put(keys.host(facts.hostId), JSON.stringify(host))
  return host
}
