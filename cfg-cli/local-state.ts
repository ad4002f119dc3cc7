// What the local provider records of a cluster (<state-dir>/<name>/state.json), the
// options it is made with, and `status` read off that record.
import { NetnsLab, type LabState } from './netns-lab.js'
import type { EtcdMember, RegistryRecord } from './local-services.js'
import { isRunning, type ProcessRecord } from './processes.js'
import type { ClusterStatus } from './provider.js'

export interface LocalOptions {
  stateDir?: string
  name?: string
  subnet?: string
  bipBase?: string
  etcdMembers?: number
  prefix?: string
  runDir?: string
  /** Images copied from the machine's main engine into every host (e.g. dokkaa/busybox:test). */
  images?: string[]
  /** Start conductor, ambassador and builder (off: only hosts, etcd and registry). */
  agents?: boolean
  leaseTtl?: number
  builderPort?: number
  /** How long scale-down waits for the scheduler to move a host's instances away. */
  drainTimeoutMs?: number
}

export interface AgentRecord { conductor?: ProcessRecord; ambassador?: ProcessRecord }

export interface LocalState {
  provider: 'local'
  version: 1
  prefix: string
  etcdToken: string
  lab: LabState
  etcd: EtcdMember[]
  registry: RegistryRecord
  builder?: { listen: string; dataDir: string; process?: ProcessRecord }
  agents: Record<string, AgentRecord>
  leaseTtl: number
  /** Images copied into every host, remembered so hosts added later get them too. */
  images: string[]
}

/** `status`: what the record says was made, and whether each process still runs. */
export function localStatus(state: LocalState): ClusterStatus {
  const st = (p?: ProcessRecord) => (p ? (isRunning(p) ? 'running' : 'stopped') : 'absent')
  const lab = NetnsLab.fromState(state.lab)
  return {
    provider: 'local',
    exists: true,
    hosts: lab.hosts().map(h => ({
      id: h.id,
      address: h.address,
      components: { dockerd: st(h.dockerd?.process), conductor: st(state.agents[h.id]?.conductor), ambassador: st(state.agents[h.id]?.ambassador) },
    })),
    services: {
      ...Object.fromEntries(state.etcd.map(m => [m.name, { address: m.clientUrl, state: st(m.process) }])),
      registry: { address: state.registry.address, state: st(state.registry.process) },
      ...(state.builder ? { builder: { address: `https://${state.builder.listen}/`, state: st(state.builder.process) } } : {}),
    },
  }
}
