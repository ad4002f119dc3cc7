// Assignments as the scheduler writes them, turned into what reconcile wants. A value
// the conductor will not act on (see assignment-record.ts) becomes a rejection: its
// instance is recorded failed with the reason, and nothing runs for it.
import type { InstanceRef } from '../schemas/index.js'
import { readAssignment } from './assignment-record.js'
import type { DesiredInstance } from './model.js'

/** An assignment the conductor refused, with the reason its instance record shows. */
export interface RejectedInstance {
  ref: InstanceRef
  reason: string
  /** The value's specHash when it had a readable one, for the record. */
  specHash: string
}

export type DesiredResult = { ok: true; desired: DesiredInstance } | { ok: false; rejected: RejectedInstance }

export function desiredFromAssignment(ref: InstanceRef, value: string): DesiredResult {
  const read = readAssignment(value)
  if (!read.ok) {
    return { ok: false, rejected: { ref, reason: `assignment rejected: ${read.reason}`, specHash: hashOf(value) } }
  }
  const a = read.assignment
  const desired: DesiredInstance = { ref, spec: a.spec, specHash: a.specHash, run: a.run ?? 'running', restartGeneration: a.restartGeneration ?? 0 }
  if (a.linkPorts) desired.linkPorts = a.linkPorts
  if (a.order) desired.order = a.order
  if (a.secrets) desired.secrets = a.secrets
  if (a.configs) desired.configs = a.configs
  if (a.imageDigest) desired.imageDigest = a.imageDigest
  if (a.previous) desired.previous = { spec: a.previous.spec, specHash: a.previous.specHash }
  return { ok: true, desired }
}

function hashOf(value: string): string {
  const m = /"specHash"\s*:\s*"([A-Za-z0-9]{1,64})"/.exec(value.slice(0, 100_000))
  return m?.[1] ?? ''
}
