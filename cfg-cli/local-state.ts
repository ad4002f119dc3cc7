// What the local provider records of a cluster (<state-dir>/<name>/state.json) and the
// options it is made with.
import type { LabState } from './netns-lab.js'
import type { EtcdMember, RegistryRecord } from './local-services.js'
import type { ProcessRecord } from './processes.js'

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
