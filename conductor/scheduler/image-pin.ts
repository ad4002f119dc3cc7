// Which image digest the assignments of a spec pin (Assignment.imageDigest). The first
// instance of a spec that runs pulls its tag; the digest it reports (InstanceRecord
// .imageDigest) becomes the pin of every assignment of that spec, so the instances that
// follow — the rest of a rollout, one moved off a dead host, one recreated later — run the
// same image even if the tag moved meanwhile. A pin, once written, stays while the spec
// does (even when every instance is down); a new spec starts without one. Pure.
import type { AppRef, InstanceRecord } from '../../schemas/index.js'
import { isImageDigest } from '../../schemas/index.js'
import type { AssignmentBase } from './assignment-value.js'
import type { Slot } from './manifest-plan-types.js'
import { instanceId } from './plan-types.js'

/** The pin of `base`'s spec: one already in an assignment (as its spec, or as the `previous`
 * a rollout may go back to), else the digest the lowest-numbered instance on it reports. */
export function imagePinOf(
  base: Pick<AssignmentBase, 'specHash'>, ref: AppRef, slots: ReadonlyMap<number, Slot>, instances: ReadonlyMap<string, InstanceRecord>,
): string | undefined {
  const byIndex = [...slots.values()].sort((a, b) => a.index - b.index)
  for (const s of byIndex) {
    if (s.value.specHash === base.specHash && isImageDigest(s.value.imageDigest)) return s.value.imageDigest
    const prev = s.value.previous
    if (prev?.specHash === base.specHash && isImageDigest(prev.imageDigest)) return prev.imageDigest
  }
  for (const s of byIndex) {
    const inst = instances.get(instanceId({ ...ref, index: s.index }))
    if (inst && inst.specHash === base.specHash && isImageDigest(inst.imageDigest)) return inst.imageDigest
  }
  return undefined
}

/** `base` with its pin, when there is one. */
export function withImagePin<B extends AssignmentBase>(base: B, pin: string | undefined): B {
  return pin ? { ...base, imageDigest: pin } : base
}
