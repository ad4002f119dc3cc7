// Quotas on writes (pure): what a user holds before and after a change, and whether the
// change may go through. The numbers and messages are the contract's (schemas/policy.ts);
// what is decided here is what counts and when a refusal stands.
import { parseMemory, quotaProblems, usageOf, type ClusterPolicy, type ManifestError } from '../schemas/index.js'
import { scaleOf } from './store/record-shapes.js'

/** What one manifest counts toward its owner's usage. */
export interface Held { scale: number; resources?: { memory?: string } }

/**
 * A stored manifest's share, read leniently: it may be invalid (written straight into etcd,
 * or before a policy changed), and still runs its last valid version, so it still counts.
 */
export function heldBy(doc: Record<string, unknown> | null): Held {
  const memory = (doc?.['resources'] as { memory?: unknown } | undefined)?.memory
  let valid: string | undefined
  try { valid = typeof memory === 'string' && parseMemory(memory) >= 0 ? memory : undefined } catch { valid = undefined }
  return { scale: scaleOf(doc), ...(valid ? { resources: { memory: valid } } : {}) }
}

/**
 * The quota errors that refuse a change from `before` to `after` (both: everything the user
 * holds). A user already over quota — the operator tightened it later — may still shrink:
 * only a change that grows something is refused, with every quota it leaves broken.
 */
export function quotaRefusal(policy: ClusterPolicy | undefined, user: string, before: Held[], after: Held[]): ManifestError[] {
  const a = usageOf(after)
  const problems = quotaProblems(policy, user, a)
  if (problems.length === 0) return []
  const b = usageOf(before)
  const grows = a.manifests > b.manifests || a.instances > b.instances || a.memory > b.memory || a.unsized > b.unsized
  return grows ? problems : []
}
