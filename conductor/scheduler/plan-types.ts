// The planner's input and output: plain data read from etcd by the driver (or written
// by hand in tests), and the writes that would bring etcd to the scheduler's decision.
import type {
  Assignment, ClusterPolicy, ContainerSpec, ControlRecord, HostRecord, InstanceRecord, KeyLayout, PortAllocation,
  PortRange, StatusRecord, ValidationResult, VolumeHomeRecord,
} from '../../schemas/index.js'
import type { ValueRecords } from './secret-values.js'

/** A manifest's validation, and the spec and hash of a valid one (worth remembering: a pass re-reads every manifest). */
export interface CheckedManifest {
  result: ValidationResult
  spec?: ContainerSpec
  specHash?: string
}

export interface ManifestInput {
  app: string
  name: string
  /** The manifest as stored: untrusted text. */
  text: string
  /** etcd mod revision of the manifest key. */
  revision: number
  /** etcd create revision of the manifest key: quotas refuse the newest manifests first. Defaults to `revision`. */
  createRevision?: number
  /** `checkManifest(this, policy)`, when the caller remembered it; computed by the planner otherwise. */
  checked?: CheckedManifest
}

export interface CurrentAssignment {
  host: string
  app: string
  name: string
  index: number
  /** Undefined when the stored value is not a readable assignment: it is replaced. */
  value: Assignment | undefined
}

export interface ScheduleInput {
  keys: KeyLayout
  manifests: readonly ManifestInput[]
  /** "app/name" -> control record. */
  controls: ReadonlyMap<string, ControlRecord>
  /** "app/name" -> the status as stored now (to write only what changed, and keep lastEvent). */
  statuses: ReadonlyMap<string, StatusRecord>
  /** Live hosts: those with a /hosts/<id> record (the lease still holds). */
  hosts: readonly HostRecord[]
  /** Ids of live hosts whose record is unreadable: alive, but no instance is placed there (and those there move off, one at a time). */
  unplaceable?: ReadonlySet<string>
  assignments: readonly CurrentAssignment[]
  /** "app/name/index" -> instance record. */
  instances: ReadonlyMap<string, InstanceRecord>
  policy?: ClusterPolicy
  /** App -> the user owning it (/owners/<app>); an app without an owner belongs to root. */
  owners?: ReadonlyMap<string, string>
  /** Stable proxy ports allocated so far: "app/service" -> port (/ports). */
  ports?: ReadonlyMap<string, number>
  /** Every port held by anyone (/ports values and /ports-owner keys, junk included). */
  takenPorts?: ReadonlySet<number>
  /** Where new proxy ports come from (--port-range); DEFAULT_PORT_RANGE when absent. */
  portRange?: PortRange
  /** "app/name/index" -> where the instance's named volumes live (/volumes; readable records only). */
  volumeHomes?: ReadonlyMap<string, VolumeHomeRecord>
  /** The apps' secrets (sealed) and configs, "app/name" -> readable record (/secrets, /configs). */
  secrets?: ValueRecords['secrets']
  configs?: ValueRecords['configs']
  /** Milliseconds since the epoch. */
  now: number
}

/** Something the scheduler decided, for logs and for the status's lastEvent. */
export interface ScheduleEvent {
  app: string
  name: string
  index?: number
  message: string
}

export interface SchedulePlan {
  /** Stable proxy ports to claim, before any assignment that carries them is written. */
  ports?: PortAllocation[]
  /** Assignment keys to write (never also in deletes). */
  puts: { key: string; value: Assignment }[]
  /** Volume homes to write (/volumes/...), in the same transaction as the assignments they go with. */
  homes?: { key: string; value: VolumeHomeRecord }[]
  /** Assignment and status keys to delete. */
  deletes: string[]
  /** Status records that changed (ignoring updatedAt). */
  statuses: { key: string; status: StatusRecord }[]
  events: ScheduleEvent[]
  /** When to plan again though etcd may not change (ms since the epoch): a rollout's monitor
   * period, delay or step deadline ends. */
  wakeAt?: number
}

/** The scheduler's names for the contract's in-memory keys (schemas/keys.ts). */
export { manifestKey as manifestId, refKey as instanceId } from '../../schemas/index.js'
