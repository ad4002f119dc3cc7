// What planManifest (plan-manifest.ts) takes and gives for one manifest: its stored
// assignments by index, what it should become, the cluster around it, and the writes,
// problems and events it decides.
import type {
  AppPhase, AppRef, Assignment, ControlRecord, HostRecord, InstanceRecord,
  KeyLayout, ManifestError, ResolvedUpdate, RolloutStatus, VolumeHomeRecord,
} from '../../schemas/index.js'
import type { AssignmentBase } from './assignment-value.js'
import type { Load } from './placement.js'
import type { ScheduleEvent } from './plan-types.js'
import type { ValueRecords } from './secret-values.js'
import type { HomesInput, VolumeFailover } from './volume-homes.js'

/** One stored assignment of the manifest (after duplicates of an index were dropped). */
export interface Slot {
  key: string
  host: string
  index: number
  value: Assignment
  /** Its host still has a /hosts record. */
  alive: boolean
}

export type Target =
  | {
    kind: 'valid'; scale: number; base: AssignmentBase; constraints: Record<string, string>
    /** The update policy, when the manifest has `update` or `health` (else the plain rolling update). */
    update?: ResolvedUpdate
    /** The spec cannot run twice at once (a writable volume): replaced stop-first, plain rollout or not. */
    stopFirst?: boolean
    /** What an index whose volumes' host is down does (default pin). */
    volumeFailover?: VolumeFailover
  }
  | { kind: 'invalid'; errors: ManifestError[] }
  | { kind: 'deleted' }

export interface ManifestContext {
  ref: AppRef
  target: Target
  slots: ReadonlyMap<number, Slot>
  control: ControlRecord | undefined
  hosts: readonly HostRecord[]
  instances: ReadonlyMap<string, InstanceRecord>
  keys: KeyLayout
  load: Load
  /** Stable proxy ports, this plan's new ones included: every assignment carries its links' ports. */
  ports: ReadonlyMap<string, number>
  /** The rollout the manifest's status shows now. */
  rollout?: RolloutStatus
  /** The manifest's volume homes and which hosts are alive (none: NO_HOMES). */
  homes?: HomesInput
  /** The app's secrets and configs: what an assignment built from a `previous` spec carries. */
  values?: ValueRecords
  /** Milliseconds since the epoch. */
  now: number
}

export interface Placed {
  host: string
  value: Assignment
}

export interface ManifestOutcome {
  puts: { key: string; value: Assignment }[]
  /** Volume homes to write with the assignments. */
  homes: { key: string; value: VolumeHomeRecord }[]
  deletes: string[]
  /** The manifest's assignments once the plan is applied, by index. */
  after: Map<number, Placed>
  problems: string[]
  /** For the status: no problem, but worth knowing (an instance started with empty volumes). */
  warnings: string[]
  events: ScheduleEvent[]
  load: Load
  /** What a valid manifest deploys: its spec, or the last good one after a rollback. */
  deployed?: AssignmentBase
  /** The rollout to show in the status (valid manifests). */
  rollout?: RolloutStatus
  phase?: Extract<AppPhase, 'Updating' | 'RolledBack' | 'Paused'>
  /** When to plan again though nothing changed (a monitor period or delay ends). */
  wakeAt?: number
}
