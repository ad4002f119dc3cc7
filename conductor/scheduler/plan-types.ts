// The planner's input and output: plain data read from etcd by the driver (or written
// by hand in tests), and the writes that would bring etcd to the scheduler's decision.
import type {
  Assignment, ClusterPolicy, ControlRecord, HostRecord, InstanceRecord, KeyLayout, StatusRecord,
} from '../../schemas/index.js'

export interface ManifestInput {
  app: string
  name: string
  /** The manifest as stored: untrusted text. */
  text: string
  /** etcd mod revision of the manifest key. */
  revision: number
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
  assignments: readonly CurrentAssignment[]
  /** "app/name/index" -> instance record. */
  instances: ReadonlyMap<string, InstanceRecord>
  policy?: ClusterPolicy
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
  /** Assignment keys to write (never also in deletes). */
  puts: { key: string; value: Assignment }[]
  /** Assignment and status keys to delete. */
  deletes: string[]
  /** Status records that changed (ignoring updatedAt). */
  statuses: { key: string; status: StatusRecord }[]
  events: ScheduleEvent[]
}

export function manifestId(r: { app: string; name: string }): string {
  return `${r.app}/${r.name}`
}

export function instanceId(r: { app: string; name: string; index: number }): string {
  return `${r.app}/${r.name}/${r.index}`
}
