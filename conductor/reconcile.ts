// The heart of the conductor, as a pure function: given what the scheduler assigned to
// this host and what runs on its engine, say what to do. No I/O, the clock passed in,
// so every rule below is a table test away.
//
// Rules, in order:
// - only containers carrying this host's label exist for us; anything else is never touched;
// - a container whose instance is not assigned here goes (highest index first);
// - a container with a graceful step under way (withdraw, drain, stop) is left to it;
// - several containers on an instance's spec: keep the ready one (else the up one, else
//   the oldest), the rest go;
// - a missing instance is created (and started unless its run state is "stopped");
// - a spec change of a running instance is start-first unless the assignment says
//   stop-first: the new container starts beside the old, which keeps serving until the new
//   one is ready (running, and healthy when it has a check); then the old one goes and the
//   new one takes the canonical name. A rollback (the old spec assigned again) makes the old
//   container the instance's again and the new one goes;
// - stop-first (asked for, or forced by services on the host network, where two containers
//   cannot bind one port, or by a writable volume, which two containers must never write at
//   once): one running instance per manifest at a time (instances that are down anyway are
//   replaced at once), the old container gone before the new one is created;
// - otherwise the run state, the restart policy and the health check decide
//   start/stop/pause/unpause/restart (run-state-step.ts).
// A container that is up goes by "retire" (withdrawn, drained, stopped gracefully,
// removed: the agent runs it in the background); one that is down by a plain "remove".
import { containerName, instanceFromLabels, LABELS, needsStopFirst, type InstanceRef } from '../schemas/index.js'
import { fallbackName } from './container-options.js'
import type { ActualContainer, DesiredInstance, Plan, RemoveReason, Step } from './model.js'
import { isReady, manifestKey, refKey } from './model.js'
import { runStateStep, settledDown } from './run-state-step.js'

/** A container being removed by Docker: look again shortly. */
const REMOVING_RETRY_MS = 500

export function reconcile(hostId: string, desired: DesiredInstance[], actual: ActualContainer[], now: number): Plan {
  const plan: Plan = { steps: [], deferred: 0 }
  const wanted = new Set(desired.map(d => refKey(d.ref)))
  const groups = groupMine(hostId, actual)

  const unassigned: Step[] = []
  for (const [key, containers] of groups) {
    if (wanted.has(key)) continue
    for (const c of containers) {
      if (c.inFlight) continue
      const ref = instanceFromLabels(c.labels)!
      unassigned.push(dispose({ app: ref.app, name: ref.name, index: ref.index }, c, 'unassigned'))
    }
  }
  unassigned.sort((a, b) => b.ref.index - a.ref.index)
  plan.steps.push(...unassigned)

  // Stop-first replacements per manifest, decided after every instance has been looked at.
  const stopFirst = new Map<string, { d: DesiredInstance; c: ActualContainer }[]>()
  const busy = new Set<string>() // manifests with a running instance not ready (missing, starting, crash-looping)
  for (const d of [...desired].sort((a, b) => a.ref.index - b.ref.index)) {
    const mk = manifestKey(d.ref)
    const out = instancePlan(hostId, d, groups.get(refKey(d.ref)) ?? [], now)
    plan.steps.push(...out.steps)
    if (out.retryAt !== undefined) later(plan, out.retryAt)
    if (out.busy && d.run === 'running') busy.add(mk)
    if (out.stopFirst) stopFirst.set(mk, [...stopFirst.get(mk) ?? [], { d, c: out.stopFirst }])
  }
  for (const [mk, list] of stopFirst) {
    // Stopping a running instance first takes it away for a while: only one at a time, and
    // only while every other instance of the manifest is ready.
    if (!busy.has(mk)) {
      const { d, c } = list[0]!
      plan.steps.push({ kind: 'retire', ref: d.ref, containerId: c.id, reason: 'replaced' })
      plan.deferred += list.length - 1
    } else {
      plan.deferred += list.length
    }
  }
  return plan
}

interface InstancePlan {
  steps: Step[]
  /** Not ready, or being acted on: a stop-first replacement elsewhere in the manifest waits. */
  busy: boolean
  retryAt?: number
  /** An up container on another spec, to be replaced stop-first when the manifest allows. */
  stopFirst?: ActualContainer
}

function instancePlan(hostId: string, d: DesiredInstance, all: ActualContainer[], now: number): InstancePlan {
  // A graceful stop or restart under way: it looks again when it ends.
  if (all.some(c => c.inFlight === 'stop' || c.inFlight === 'restart')) return { steps: [], busy: true }
  const live = all.filter(c => !c.inFlight)
  const current = rankKeep(live.filter(c => c.labels[LABELS.spec] === d.specHash))
  const stale = rankServing(live.filter(c => c.labels[LABELS.spec] !== d.specHash))
  const steps: Step[] = []
  const [keep, ...extra] = current
  for (const c of extra) steps.push(dispose(d.ref, c, 'duplicate'))
  // On the host network the new container could not bind the ports the old one holds; with a
  // writable volume two containers would write one data directory at once (schemas/volumes.ts).
  const hostPorts = d.spec.dockerflags?.NetworkMode === 'host' && Object.keys(d.spec.services).length > 0
  const startFirst = d.run === 'running' && d.order !== 'stop-first' && !hostPorts && !needsStopFirst(d.spec)

  if (keep) {
    // The old container serves until the new one is ready (or has ended for good: a job done).
    const [old, ...rest] = stale
    const ended = keep.state === 'exited' && settledDown(d, keep)
    const holdOld = old !== undefined && startFirst && !isReady(keep) && !ended && isUp(old)
    for (const c of holdOld ? rest : stale) steps.push(dispose(d.ref, c, 'superseded'))
    if (keep.state === 'removing') return { steps, busy: true, retryAt: now + REMOVING_RETRY_MS }
    // Docker could not tear it down; a fresh container is the only way forward.
    if (keep.state === 'dead') return { steps: [...steps, { kind: 'replace', ref: d.ref, containerId: keep.id, desired: d }], busy: true }
    const step = runStateStep(d, keep, now)
    const out: InstancePlan = { steps, busy: holdOld || step !== undefined || keep.state === 'restarting' || (!isReady(keep) && !settledDown(d, keep)) }
    if (typeof step === 'number') out.retryAt = step
    else if (step) steps.push(step)
    else if (all.length === 1 && !properName(hostId, d.ref, keep.name)) steps.push({ kind: 'rename', ref: d.ref, containerId: keep.id })
    return out
  }

  const [old, ...rest] = stale
  if (!old) {
    // Its old container is still being retired (and holds its name): create once it is gone.
    if (all.length > 0) return { steps, busy: true }
    return { steps: [{ kind: 'create', ref: d.ref, desired: d }], busy: true }
  }
  for (const c of rest) steps.push(dispose(d.ref, c, 'superseded'))
  if (old.state === 'removing') return { steps, busy: true, retryAt: now + REMOVING_RETRY_MS }
  // Down anyway: nothing to keep serving.
  if (!isUp(old)) return { steps: [...steps, { kind: 'replace', ref: d.ref, containerId: old.id, desired: d }], busy: true }
  if (startFirst && isReady(old)) {
    // A container on this spec still being retired holds the name the new one would get.
    const leaving = all.some(c => c.inFlight === 'retire' && c.labels[LABELS.spec] === d.specHash)
    return { steps: leaving ? steps : [...steps, { kind: 'create', ref: d.ref, desired: d }], busy: true }
  }
  return { steps, busy: false, stopFirst: old }
}

function groupMine(hostId: string, actual: ActualContainer[]): Map<string, ActualContainer[]> {
  const groups = new Map<string, ActualContainer[]>()
  for (const c of actual) {
    const ref = instanceFromLabels(c.labels)
    if (!ref || ref.host !== hostId) continue
    const key = refKey(ref)
    const list = groups.get(key) ?? []
    list.push(c)
    groups.set(key, list)
  }
  return groups
}

function isUp(c: ActualContainer): boolean {
  return c.state === 'running' || c.state === 'paused'
}

/** Up (or on its way down) containers may be serving: they go gracefully; the others at once. */
function dispose(ref: InstanceRef, c: ActualContainer, reason: RemoveReason): Step {
  const kind = isUp(c) || c.state === 'restarting' ? 'retire' : 'remove'
  return { kind, ref, containerId: c.id, reason }
}

/** The names an instance's container ends with: the seed's, or the shared-engine fallback. */
function properName(hostId: string, ref: InstanceRef, name: string): boolean {
  const canonical = containerName(ref)
  return name === canonical || name === fallbackName(canonical, hostId)
}

function byAge(a: ActualContainer, b: ActualContainer): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

/** Which container on the instance's spec to keep: ready, up, down, going; then the oldest. */
function rankKeep(cs: ActualContainer[]): ActualContainer[] {
  const rank = (c: ActualContainer) => (isReady(c) ? 0 : isUp(c) ? 1 : c.state === 'removing' || c.state === 'dead' ? 3 : 2)
  return [...cs].sort((a, b) => rank(a) - rank(b) || byAge(a, b))
}

/** Which container on another spec serves while the new one starts: the same order. */
const rankServing = rankKeep

function later(plan: Plan, at: number): void {
  plan.retryAt = plan.retryAt === undefined ? at : Math.min(plan.retryAt, at)
}
