// The value the scheduler writes under /assign/<host>/<app>/<name>/<index>: the spec, its
// hash and revision, the placement constraints, and the lifecycle intent merged in from
// the control record. Defaults are left out, so an app nobody stopped or restarted has
// the same assignment it had before control records existed (no churn for conductors).
import {
  canonicalJson, desiredState,
  type AssignedConfig, type AssignedSecret, type Assignment, type ContainerSpec, type ControlRecord, type DesiredRunState,
} from '../../schemas/index.js'

/** The run state of one instance: its own control entry, else the manifest-wide one, else running (schemas/lifecycle.ts). */
export function desiredRun(control: ControlRecord | undefined, index: number): DesiredRunState {
  return desiredState(control, index)
}

/** Manifest-wide and per-instance bumps add up: the sum grows whenever either is bumped,
 * and the conductor restarts when the generation it sees exceeds the one it carried out. */
export function restartGeneration(control: ControlRecord | undefined, index: number): number {
  const all = nonNegative(control?.restartGeneration)
  const own = nonNegative(control?.instances?.[String(index)]?.restartGeneration)
  return all + own
}

function nonNegative(n: unknown): number {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.floor(n) : 0
}

export interface AssignmentBase {
  spec: ContainerSpec
  specHash: string
  revision: number
  constraints?: Readonly<Record<string, string>>
  /** The versions (and values) of the secrets and configs the spec names, covered by specHash
   * (secret-values.ts); absent on a base made from a rollout's `previous`. */
  secrets?: Readonly<Record<string, AssignedSecret>>
  configs?: Readonly<Record<string, AssignedConfig>>
  /** The digest every instance of this spec runs, once one reported it (image-pin.ts). */
  imageDigest?: string
}

/** What a rolling update adds to an assignment (plan-rollout.ts decides them). */
export interface RolloutFields {
  order?: 'stop-first'
  since?: string
  previous?: Assignment['previous']
}

export function buildAssignment(base: AssignmentBase, control: ControlRecord | undefined, index: number, fields: RolloutFields = {}): Assignment {
  const a: Assignment = { spec: base.spec, specHash: base.specHash, revision: base.revision }
  if (base.constraints && Object.keys(base.constraints).length > 0) a.constraints = { ...base.constraints }
  if (base.secrets) a.secrets = { ...base.secrets }
  if (base.configs) a.configs = { ...base.configs }
  if (base.imageDigest) a.imageDigest = base.imageDigest
  const run = desiredRun(control, index)
  if (run !== 'running') a.run = run
  const gen = restartGeneration(control, index)
  if (gen > 0) a.restartGeneration = gen
  if (fields.order) a.order = fields.order
  if (fields.since) a.since = fields.since
  if (fields.previous) a.previous = fields.previous
  return a
}

/** The rollout fields an assignment carries now. */
export function rolloutFields(a: Assignment): RolloutFields {
  return {
    ...(a.order ? { order: a.order } : {}),
    ...(a.since ? { since: a.since } : {}),
    ...(a.previous ? { previous: a.previous } : {}),
  }
}

/** The same assignment with the control record merged in afresh (spec, placement and, unless
 * told otherwise, rollout fields kept). */
export function withControl(a: Assignment, control: ControlRecord | undefined, index: number, fields = rolloutFields(a)): Assignment {
  return buildAssignment(a, control, index, fields)
}

export function sameValue(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b)
}
