// The scheduler's decision for ONE manifest, given the load the manifests before it left:
// scale up/down, moves off dead hosts, and one step of a rolling update (or its rollback,
// as plan-rollout.ts decides). An index with a volume home goes only there
// (volume-homes.ts). Pure.
import { linkPortsOf, type Assignment, type InstanceRecord } from '../../schemas/index.js'
import {
  buildAssignment, rolloutFields, sameValue, withControl, type AssignmentBase, type RolloutFields,
} from './assignment-value.js'
import { fits, matchesConstraints, place, shiftLoad, type PlacementRequest } from './placement.js'
import { judgeRollout, type RolloutDecision } from './plan-rollout.js'
import { instanceId, manifestId } from './plan-types.js'
import { needOf } from './resources.js'
import { isReady } from './rollout-rules.js'
import type { ManifestContext, ManifestOutcome, Slot, Target } from './manifest-plan-types.js'
import { withCurrentValues } from './secret-values.js'
import {
  allowedHosts, allows, NO_HOMES, pinOf, plannedHomes, waitsFor, whyNotHome, type HomeContext,
} from './volume-homes.js'

export { isReady }
export type { ManifestContext, ManifestOutcome, Placed, Slot, Target } from './manifest-plan-types.js'

export function planManifest(ctx: ManifestContext): ManifestOutcome {
  const out: ManifestOutcome = { puts: [], homes: [], deletes: [], after: new Map(), problems: [], warnings: [], events: [], load: ctx.load }
  switch (ctx.target.kind) {
    case 'deleted':
      // The volume homes stay: a manifest put again finds its data where it was.
      for (const slot of sorted(ctx.slots)) {
        out.deletes.push(slot.key)
        event(ctx, out, slot.index, `removed instance ${slot.index} from ${slot.host}: manifest deleted`)
      }
      return out
    case 'invalid':
      keepDeployed(ctx, out)
      break
    case 'valid':
      converge(ctx, ctx.target, out)
      break
  }
  const homes = plannedHomes(ctx.ref, out.after, homesOf(ctx), ctx.keys, ctx.now)
  out.homes.push(...homes.puts)
  out.warnings.push(...homes.warnings)
  out.events.push(...homes.events)
  return out
}

function homesOf(ctx: ManifestContext): HomeContext {
  return { ...ctx.homes ?? NO_HOMES, failover: ctx.target.kind === 'valid' ? ctx.target.volumeFailover ?? 'pin' : 'pin' }
}

// The manifest is invalid: what runs stays as it is; only instances of dead hosts move
// (with the spec and constraints they carry) and control changes still apply.
function keepDeployed(ctx: ManifestContext, out: ManifestOutcome): void {
  for (const slot of sorted(ctx.slots)) {
    if (slot.alive) {
      keep(ctx, out, slot, withControl(slot.value, ctx.control, slot.index))
    } else {
      moveOffDeadHost(ctx, out, slot, slot.value, slot.value.constraints ?? {})
    }
  }
}

function converge(ctx: ManifestContext, target: Extract<Target, { kind: 'valid' }>, out: ManifestOutcome): void {
  const { scale, constraints } = target
  const slots = sorted(ctx.slots)
  // Scale down: every index past the scale goes (the highest first in the log).
  for (const slot of slots.filter(s => s.index >= scale).reverse()) {
    out.deletes.push(slot.key)
    event(ctx, out, slot.index, `removed instance ${slot.index} from ${slot.host}: scale ${scale}`)
  }
  const kept = slots.filter(s => s.index < scale)
  const inst = (s: Slot) => ctx.instances.get(instanceId({ ...ctx.ref, index: s.index }))
  const decision = judgeRollout({
    base: target.base, scale, update: target.update, stopFirst: target.stopFirst ?? false, kept, inst, previous: ctx.rollout, now: ctx.now,
  })
  const base = decision.base
  for (const message of decision.events) out.events.push({ ...ctx.ref, message })

  // New indexes, and instances whose host is gone, are placed now: nothing runs for them.
  const missing: number[] = []
  for (let i = 0; i < scale; i++) if (!ctx.slots.has(i)) missing.push(i)
  const request = requestFor(ctx, base, constraints)
  const pinFor = (index: number) => pinOf(base.spec, index, homesOf(ctx))
  let placedAny = false
  for (const index of missing) {
    const pin = pinFor(index)
    const [p] = place([index], allowedHosts(ctx.hosts, pin), out.load, request).placements
    if (p && 'host' in p) {
      placedAny = true
      out.load = shiftLoad(out.load, p.host, request.manifest, request.need, 1)
      put(ctx, out, p.host, index, buildAssignment(base, ctx.control, index, decision.changed(index, p.host, undefined)))
      event(ctx, out, index, `placed instance ${index} on ${p.host}`)
    } else {
      out.problems.push(pin?.down ? waitsFor(index, pin)
        : `instance ${index}: unschedulable: ${pin ? whyNotHome(pin, ctx.hosts, out.load, request) : p?.unschedulable ?? 'no host'}`)
    }
  }
  const alive = kept.filter(s => s.alive)
  if (decision.rollback) {
    // Every instance the failed rollout changed goes back to the spec it had, at once.
    for (const slot of kept) {
      const back = slot.value.previous
      if (!back || back.specHash === slot.value.specHash) {
        if (slot.alive) keep(ctx, out, slot, withControl(slot.value, ctx.control, slot.index, decision.kept(slot)))
        else moveOffDeadHost(ctx, out, slot, base, constraints, decision.changed(slot.index, '', slot))
        continue
      }
      const to = { ...back, constraints }
      if (slot.alive) replace(ctx, out, slot, to, constraints, decision.changed(slot.index, slot.host, slot), 'rolling back')
      else moveOffDeadHost(ctx, out, slot, to, constraints, decision.changed(slot.index, '', slot))
    }
    finish(out, decision)
    return
  }
  for (const slot of kept.filter(s => !s.alive)) {
    const fields = slot.value.specHash === base.specHash ? decision.kept(slot) : decision.changed(slot.index, '', slot)
    if (moveOffDeadHost(ctx, out, slot, base, constraints, fields)) placedAny = true
  }

  // Rolling update: instances on another spec, or on a host that no longer meets the
  // constraints, are replaced as the decision allows; broken ones first, then by index.
  const stale = (s: Slot) => s.value.specHash !== base.specHash || !hostMeets(ctx, s.host, constraints) || !allows(pinFor(s.index), s.host)
  const candidates = alive.filter(stale)
    .sort((a, b) => Number(isReady(a, inst(a))) - Number(isReady(b, inst(b))) || a.index - b.index)
  const step = placedAny && decision.budget !== Infinity ? new Set<Slot>() : pickStep(candidates, alive, inst, decision)
  for (const slot of alive) {
    if (step.has(slot)) {
      const fields = slot.value.specHash === base.specHash ? decision.kept(slot) : decision.changed(slot.index, slot.host, slot)
      replace(ctx, out, slot, base, constraints, fields, 'rolling update')
    } else if (stale(slot)) {
      keep(ctx, out, slot, withControl(slot.value, ctx.control, slot.index, decision.kept(slot)))
    } else {
      keep(ctx, out, slot, buildAssignment({ ...base, revision: slot.value.revision }, ctx.control, slot.index, decision.kept(slot)))
    }
  }
  finish(out, decision)
}

// The instances of one step: up to the budget, broken ones always (they serve nothing), a
// ready one only while enough others stay ready.
function pickStep(candidates: readonly Slot[], alive: readonly Slot[], inst: (s: Slot) => InstanceRecord | undefined, d: RolloutDecision): Set<Slot> {
  const step = new Set<Slot>()
  let ready = alive.filter(s => isReady(s, inst(s))).length
  for (const c of candidates) {
    if (step.size >= d.budget) break
    if (isReady(c, inst(c))) {
      if (ready - 1 < d.floor) break
      ready--
    }
    step.add(c)
  }
  return step
}

function finish(out: ManifestOutcome, d: RolloutDecision): void {
  out.deployed = d.base
  out.rollout = d.rollout()
  if (d.phase) out.phase = d.phase
  if (d.wakeAt !== undefined) out.wakeAt = d.wakeAt
}

function requestFor(ctx: ManifestContext, base: AssignmentBase, constraints: Readonly<Record<string, string>>): PlacementRequest {
  return { manifest: manifestId(ctx.ref), need: needOf(base.spec), constraints }
}

function hostMeets(ctx: ManifestContext, hostId: string, constraints: Readonly<Record<string, string>>): boolean {
  const host = ctx.hosts.find(h => h.id === hostId)
  return host !== undefined && matchesConstraints(host, constraints)
}

// One step of the rolling update: in place when the host still qualifies and has room
// for the new spec (the old one's share freed), else on the best other host.
function replace(
  ctx: ManifestContext, out: ManifestOutcome, slot: Slot, base: AssignmentBase, constraints: Readonly<Record<string, string>>,
  fields: RolloutFields, doing: 'rolling update' | 'rolling back',
): void {
  const mid = manifestId(ctx.ref)
  const freed = shiftLoad(out.load, slot.host, mid, needOf(slot.value.spec), -1)
  const request = requestFor(ctx, base, constraints)
  const pin = pinOf(base.spec, slot.index, homesOf(ctx))
  // Undefined for a live host that takes no instances (its record is unreadable).
  const host = ctx.hosts.find(h => h.id === slot.host)
  const value = buildAssignment(base, ctx.control, slot.index, fields)
  if (host && allows(pin, host.id) && matchesConstraints(host, constraints) && fits(host, freed, request.need)) {
    out.load = shiftLoad(freed, slot.host, mid, request.need, 1)
    put(ctx, out, slot.host, slot.index, value)
    event(ctx, out, slot.index, `${doing}: replacing instance ${slot.index} on ${slot.host} (spec ${slot.value.specHash} -> ${base.specHash})`)
    return
  }
  const [p] = place([slot.index], allowedHosts(ctx.hosts.filter(h => h.id !== slot.host), pin), freed, request).placements
  if (p && 'host' in p) {
    out.load = shiftLoad(freed, p.host, mid, request.need, 1)
    out.deletes.push(slot.key)
    put(ctx, out, p.host, slot.index, value)
    const why = pin ? `its volumes (${pin.volumes.join(', ')}) are there`
      : !host ? 'its host record is unreadable' : matchesConstraints(host, constraints) ? 'no room for the new spec there' : 'it no longer meets the constraints'
    event(ctx, out, slot.index, `${doing}: moving instance ${slot.index} from ${slot.host} to ${p.host} (${why})`)
    return
  }
  const why = pin ? whyNotHome(pin, ctx.hosts, freed, request) : p ? p.unschedulable : 'no host'
  out.problems.push(pin?.down ? waitsFor(slot.index, pin) : `instance ${slot.index}: cannot be ${doing === 'rolling back' ? 'rolled back' : 'updated'}: ${why}`)
  keep(ctx, out, slot, withControl(slot.value, ctx.control, slot.index))
}

/** Moves an instance off a host that is gone; if no host can take it, it stays assigned there.
 * So does one whose volumes are on that host (pin): when the host comes back, its conductor
 * finds its assignment and carries on with the data, and no other host ever starts a second
 * container of the instance meanwhile. */
function moveOffDeadHost(
  ctx: ManifestContext, out: ManifestOutcome, slot: Slot, base: AssignmentBase, constraints: Readonly<Record<string, string>>,
  fields: RolloutFields = rolloutFields(slot.value),
): boolean {
  const request = requestFor(ctx, base, constraints)
  const pin = pinOf(base.spec, slot.index, homesOf(ctx))
  const [p] = place([slot.index], allowedHosts(ctx.hosts, pin), out.load, request).placements
  if (p && 'host' in p) {
    out.load = shiftLoad(out.load, p.host, request.manifest, request.need, 1)
    out.deletes.push(slot.key)
    put(ctx, out, p.host, slot.index, buildAssignment({ ...base, constraints }, ctx.control, slot.index, fields))
    event(ctx, out, slot.index, `moved instance ${slot.index} from ${slot.host} (gone) to ${p.host}`)
    return true
  }
  out.after.set(slot.index, { host: slot.host, value: slot.value })
  const why = pin ? whyNotHome(pin, ctx.hosts, out.load, request) : p ? p.unschedulable : 'no host'
  out.problems.push(pin?.down ? waitsFor(slot.index, pin) : `instance ${slot.index}: host ${slot.host} is gone and it cannot move: ${why}`)
  return false
}

function keep(ctx: ManifestContext, out: ManifestOutcome, slot: Slot, kept: Assignment): void {
  const value = withCurrentValues(ctx.ref.app, withLinkPorts(ctx, kept), ctx.values ?? {})
  if (sameValue(value, slot.value)) out.after.set(slot.index, { host: slot.host, value: slot.value })
  else put(ctx, out, slot.host, slot.index, value)
}

function put(ctx: ManifestContext, out: ManifestOutcome, host: string, index: number, planned: Assignment): void {
  const value = withCurrentValues(ctx.ref.app, withLinkPorts(ctx, planned), ctx.values ?? {})
  out.puts.push({ key: ctx.keys.assignment(host, { ...ctx.ref, index }), value })
  out.after.set(index, { host, value })
}

// The ports follow the spec the assignment carries (an old spec during a rolling update
// keeps its own links), so they are set on every value the plan writes or keeps.
function withLinkPorts(ctx: ManifestContext, value: Assignment): Assignment {
  const { linkPorts: _old, ...rest } = value
  const ports = linkPortsOf(ctx.ref.app, value.spec.links, ctx.ports)
  return Object.keys(ports).length > 0 ? { ...rest, linkPorts: ports } : rest
}

function event(ctx: ManifestContext, out: ManifestOutcome, index: number, message: string): void {
  out.events.push({ ...ctx.ref, index, message })
}

function sorted(slots: ReadonlyMap<number, Slot>): Slot[] {
  return [...slots.values()].sort((a, b) => a.index - b.index)
}
