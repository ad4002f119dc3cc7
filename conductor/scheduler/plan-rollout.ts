// The rolling update of one manifest, decided from its assignments, its instances' records
// and the rollout its last status recorded: whether one runs, how many instances the next
// step may replace, whether the new version failed (roll back or pause), when it is done,
// and when to look again. plan-manifest.ts carries the decision out. Pure.
//
// A manifest that says nothing of rollouts (neither `update` nor `health`) rolls as it
// always did: one instance at a time, the next once the new one is ready; no monitor, no
// rollback (update undefined here).
import type { AppPhase, Assignment, InstanceRecord, ResolvedUpdate, RolloutStatus } from '../../schemas/index.js'
import { rolloutFields, type AssignmentBase, type RolloutFields } from './assignment-value.js'
import type { Slot } from './plan-manifest.js'
import { becameGoodAt, failureOf, goodAt, isGood, isReady, stepDeadline } from './rollout-rules.js'

export interface RolloutInput {
  base: AssignmentBase
  scale: number
  /** The manifest's update policy; undefined for a manifest with neither `update` nor `health`. */
  update: ResolvedUpdate | undefined
  /** The spec cannot run twice at once (a writable volume): `update.order` already says
   * stop-first then; a plain rollout's assignments carry it too. */
  stopFirst?: boolean
  /** The manifest's assignments within the scale. */
  kept: readonly Slot[]
  inst: (s: Slot) => InstanceRecord | undefined
  /** The rollout the manifest's status shows now. */
  previous: RolloutStatus | undefined
  now: number
}

export interface RolloutDecision {
  /** What new and replaced instances get: the manifest's spec, or the last good one after a rollback. */
  base: AssignmentBase
  /** Instances off `base` that may be replaced now (0: wait; Infinity: all at once). */
  budget: number
  /** Ready instances a step must leave ready (scale - parallelism). */
  floor: number
  /** Put every instance back to its `previous` spec, all in this plan. */
  rollback: boolean
  /** Fields of an assignment whose spec changes now (a step, a new index, a move); `slot` is what it replaces. */
  changed: (index: number, host: string, slot: Slot | undefined) => RolloutFields
  /** Fields of an assignment whose spec stays. */
  kept: (slot: Slot) => RolloutFields
  /** The rollout the status shows (undefined: none ever), once the plan made its changes. */
  rollout: () => RolloutStatus | undefined
  phase?: Extract<AppPhase, 'Updating' | 'RolledBack' | 'Paused'>
  /** For the status's lastEvent, before the instances' own events. */
  events: string[]
  /** When something time-based (a monitor period, a delay, a step's deadline) falls due. */
  wakeAt?: number
}

export function judgeRollout(r: RolloutInput): RolloutDecision {
  const u = r.update
  if (!u) return legacy(r)
  const prev = r.previous
  const { specHash: hash, revision } = r.base
  const order: RolloutFields = u.order === 'stop-first' ? { order: 'stop-first' } : {}
  const plain = { changed: () => order, kept: () => order }
  const alive = r.kept.filter(s => s.alive)
  const halted = prev && (prev.state === 'rolled-back' || prev.state === 'paused') && prev.to.revision === revision && prev.to.specHash === hash
  if (halted) {
    // This revision failed: it is not tried again until a new put (a new revision).
    const lastGood = prev.state === 'rolled-back' ? lastGoodOf(r.kept, prev.from.specHash, r.base) : undefined
    const phase = prev.state === 'rolled-back' ? 'RolledBack' : 'Paused'
    if (lastGood) return { ...plain, base: lastGood, budget: legacyBudget(r, lastGood.specHash), floor: 0, rollback: false, rollout: () => prev, phase, events: [] }
    return { base: r.base, budget: 0, floor: 0, rollback: false, changed: () => order, kept: s => ({ ...keptFields(s), ...order }), rollout: () => prev, phase, events: [] }
  }
  const stale = alive.filter(s => s.value.specHash !== hash)
  const rolling = prev?.state === 'rolling'
  if (!rolling && stale.length === 0) {
    // Steady (constraint moves aside): nothing to roll.
    return { ...plain, base: r.base, budget: legacyBudget(r, hash), floor: 0, rollback: false, rollout: () => prev, events: [] }
  }
  if (!rolling && !stale.some(s => isReady(s, r.inst(s)))) {
    // Nothing of the old spec is up (a first deploy, or a broken one): nothing to keep serving or go back to.
    return { ...plain, base: r.base, budget: Infinity, floor: 0, rollback: false, rollout: () => prev, events: [] }
  }
  return rollingDecision(r, u, order, rolling ? prev : undefined)
}

function rollingDecision(r: RolloutInput, u: ResolvedUpdate, order: RolloutFields, prev: RolloutStatus | undefined): RolloutDecision {
  const { now } = r
  const { specHash: hash, revision } = r.base
  const alive = r.kept.filter(s => s.alive)
  const continuing = prev !== undefined && prev.to.specHash === hash
  const lastGood = (prev && lastGoodOf(r.kept, prev.from.specHash, r.base)) ?? firstLastGood(r)
  const lastGoodRef: Assignment['previous'] = {
    spec: lastGood.spec, specHash: lastGood.specHash, revision: lastGood.revision, ...(lastGood.imageDigest ? { imageDigest: lastGood.imageDigest } : {}),
  }
  const onNew = alive.filter(s => s.value.specHash === hash)
  const good = (s: Slot) => isGood(s, r.inst(s), u.monitorMs, now)
  const updated = r.kept.filter(s => s.alive && s.value.specHash === hash && good(s)).length
  const restartsBefore: Record<string, number> = { ...(continuing ? prev.restartsBefore : {}) }
  const events: string[] = []
  const rollout: RolloutStatus = continuing
    ? { ...prev, to: { revision, specHash: hash }, updated, total: r.scale }
    : { state: 'rolling', from: { revision: lastGood.revision, specHash: lastGood.specHash }, to: { revision, specHash: hash }, updated, total: r.scale, startedAt: iso(now) }
  if (!continuing) {
    events.push(`rolling update from revision ${lastGood.revision} to ${revision}${prev ? ` (replacing the update to revision ${prev.to.revision})` : ''}: ` +
      `${r.scale} instance${r.scale === 1 ? '' : 's'}, ${u.parallelism} at a time, ${u.order}`)
  }
  const kept = (s: Slot): RolloutFields => {
    const fields = { ...keptFields(s), ...order }
    // A new rollout of a spec some instances already have (a put after a pause): those not
    // good yet get a fresh start, not the old step's spent deadline.
    if (!continuing && fields.since !== undefined && s.value.specHash === hash && !good(s)) {
      restartsBefore[String(s.index)] = r.inst(s)?.restarts ?? 0
      return { ...fields, since: iso(now) }
    }
    return fields
  }
  const changed = (index: number, host: string, slot: Slot | undefined): RolloutFields => {
    const inst = slot && r.inst(slot)
    restartsBefore[String(index)] = inst && inst.host === host ? inst.restarts : 0
    return { ...order, since: iso(now), previous: slot?.value.previous ?? lastGoodRef }
  }
  const ended = (state: RolloutStatus['state'], reason?: string): RolloutStatus => {
    const { restartsBefore: _dropped, ...rest } = rollout
    return { ...rest, state, ...(reason ? { reason } : {}), endedAt: iso(now) }
  }

  const failure = firstFailure(r, u, onNew, continuing)
  if (failure) {
    if (u.failureAction === 'rollback') {
      events.push(`rolled back to revision ${lastGood.revision}: ${failure}`)
      return { base: lastGood, budget: 0, floor: 0, rollback: true, changed: () => order, kept: () => order, rollout: () => ended('rolled-back', failure), phase: 'RolledBack', events }
    }
    events.push(`rolling update paused: ${failure}`)
    return { base: r.base, budget: 0, floor: 0, rollback: false, changed: () => order, kept, rollout: () => ended('paused', failure), phase: 'Paused', events }
  }
  const complete = r.kept.length === r.scale && r.kept.every(s => s.alive && s.value.specHash === hash && good(s))
  if (complete) {
    events.push(`rolling update to revision ${revision} completed: ${r.scale} instance${r.scale === 1 ? '' : 's'} updated`)
    return { base: r.base, budget: 0, floor: 0, rollback: false, changed: () => order, kept: () => order, rollout: () => ended('completed'), events }
  }

  // The next step waits for every instance on the new spec to be good, then for the delay.
  const inFlight = onNew.filter(s => !good(s))
  const wake: number[] = []
  for (const s of onNew) {
    const at = goodAt(s, r.inst(s), u.monitorMs, now)
    if (at !== undefined) wake.push(at)
    const deadline = s.value.since !== undefined && !good(s) ? stepDeadline(s, r.inst(s), u.monitorMs) : undefined
    if (deadline !== undefined) wake.push(deadline)
  }
  let budget = 0
  if (inFlight.length === 0) {
    const lastStep = Math.max(-Infinity, ...onNew.filter(s => s.value.since !== undefined).map(s => becameGoodAt(s, r.inst(s), u.monitorMs) ?? -Infinity))
    const next = lastStep + u.delayMs
    if (now >= next) budget = u.parallelism
    else wake.push(next)
  }
  const wakeAt = Math.min(...wake.filter(t => t > now))
  return {
    base: r.base, budget, floor: alive.length - u.parallelism, rollback: false, changed, kept,
    rollout: () => (Object.keys(restartsBefore).length > 0 ? { ...rollout, restartsBefore } : rollout),
    phase: 'Updating', events, ...(Number.isFinite(wakeAt) ? { wakeAt } : {}),
  }
}

// The first instance the rollout put on the new spec that shows the new version is broken
// (a rollout that starts now has spent no time yet: only what the records say counts).
function firstFailure(r: RolloutInput, u: ResolvedUpdate, onNew: readonly Slot[], continuing: boolean): string | undefined {
  for (const s of onNew) {
    if (s.value.since === undefined) continue
    const before = continuing ? r.previous?.restartsBefore?.[String(s.index)] : undefined
    const why = failureOf({ index: s.index, slot: s, inst: r.inst(s), restartsBefore: before, monitorMs: u.monitorMs, now: r.now, timed: continuing })
    if (why) return why
  }
  return undefined
}

// Today's rolling update: one at a time, once every instance on the new spec is ready;
// stop-first when two containers of an instance must never share its volumes.
function legacy(r: RolloutInput): RolloutDecision {
  const prev = r.previous?.state === 'rolling' ? undefined : r.previous
  const order: RolloutFields = r.stopFirst ? { order: 'stop-first' } : {}
  return {
    base: r.base, budget: legacyBudget(r, r.base.specHash), floor: 0, rollback: false,
    changed: () => order, kept: () => order, rollout: () => prev, events: [],
  }
}

function legacyBudget(r: RolloutInput, hash: string): number {
  return r.kept.filter(s => s.value.specHash === hash).every(s => !s.alive || isReady(s, r.inst(s))) ? 1 : 0
}

function keptFields(s: Slot): RolloutFields {
  const { order: _order, ...rest } = rolloutFields(s.value)
  return rest
}

// The spec `hash` as an assignment of the manifest carries it: as its `previous`, or as its spec.
function lastGoodOf(kept: readonly Slot[], hash: string, base: AssignmentBase): AssignmentBase | undefined {
  const asPrevious = kept.find(s => s.value.previous?.specHash === hash)?.value.previous
  if (asPrevious) return { ...asPrevious, constraints: base.constraints ?? {} }
  const asSpec = kept.find(s => s.value.specHash === hash)?.value
  return asSpec && { spec: asSpec.spec, specHash: asSpec.specHash, revision: asSpec.revision, constraints: base.constraints ?? {}, ...pinOf(asSpec) }
}

// A new rollout goes back to what was deployed before it: an earlier rollout's `previous`,
// else the spec of the first old instance that is up.
function firstLastGood(r: RolloutInput): AssignmentBase {
  const constraints = r.base.constraints ?? {}
  const previous = r.kept.find(s => s.value.previous)?.value.previous
  if (previous) return { ...previous, constraints }
  const old = r.kept.find(s => s.alive && s.value.specHash !== r.base.specHash && isReady(s, r.inst(s)))
    ?? r.kept.find(s => s.value.specHash !== r.base.specHash)
  return old ? { spec: old.value.spec, specHash: old.value.specHash, revision: old.value.revision, constraints, ...pinOf(old.value) } : r.base
}

// The image digest an assignment pins, to carry into what a rollback goes back to.
function pinOf(a: Assignment): { imageDigest?: string } {
  return a.imageDigest ? { imageDigest: a.imageDigest } : {}
}

function iso(ms: number): string {
  return new Date(ms).toISOString()
}
