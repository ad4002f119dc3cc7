// The heart of the conductor, as a pure function: given what the scheduler assigned to
// this host and what runs on its engine, say what to do. No I/O, the clock passed in,
// so every rule below is a table test away.
//
// Rules, in order:
// - only containers carrying this host's label exist for us; anything else is never touched;
// - a container whose instance is not assigned here is removed (highest index first);
// - several containers for one instance: keep the oldest healthy one, remove the rest;
// - a missing instance is created (and started unless its run state is "stopped");
// - a spec-hash mismatch is a replacement, one running instance per manifest at a time
//   (instances that are down anyway are replaced at once);
// - otherwise the run state and the restart policy decide start/stop/pause/unpause/restart.
import { instanceFromLabels } from '../schemas/index.js'
import type { ActualContainer, DesiredInstance, Plan, Step } from './model.js'
import { manifestKey, refKey } from './model.js'
import { restartDelay } from './restart-delay.js'

/** A container being removed by Docker: look again shortly. */
const REMOVING_RETRY_MS = 500

export function reconcile(hostId: string, desired: DesiredInstance[], actual: ActualContainer[], now: number): Plan {
  const plan: Plan = { steps: [], deferred: 0 }
  const wanted = new Map(desired.map(d => [refKey(d.ref), d]))
  const groups = groupMine(hostId, actual)

  const unassigned: Step[] = []
  for (const [key, containers] of groups) {
    if (wanted.has(key)) continue
    for (const c of containers) {
      const ref = instanceFromLabels(c.labels)!
      unassigned.push({ kind: 'remove', ref: { app: ref.app, name: ref.name, index: ref.index }, containerId: c.id, reason: 'unassigned' })
    }
  }
  unassigned.sort((a, b) => b.ref.index - a.ref.index)
  plan.steps.push(...unassigned)

  // Replacement candidates per manifest, decided after every instance has been looked at.
  const candidates = new Map<string, { d: DesiredInstance; c: ActualContainer }[]>()
  const busy = new Set<string>() // manifests with an instance not up (missing, starting, crash-looping)

  for (const d of [...desired].sort((a, b) => a.ref.index - b.ref.index)) {
    const containers = groups.get(refKey(d.ref)) ?? []
    const mk = manifestKey(d.ref)
    if (containers.length === 0) {
      plan.steps.push({ kind: 'create', ref: d.ref, desired: d })
      if (d.run === 'running') busy.add(mk)
      continue
    }
    const [keep, ...extra] = oldestHealthyFirst(containers)
    for (const c of extra) plan.steps.push({ kind: 'remove', ref: d.ref, containerId: c.id, reason: 'duplicate' })
    const c = keep!
    if (c.state === 'removing') {
      later(plan, now + REMOVING_RETRY_MS)
      busy.add(mk)
      continue
    }
    if (c.state === 'dead') {
      // Docker could not tear it down; a fresh container is the only way forward.
      plan.steps.push({ kind: 'replace', ref: d.ref, containerId: c.id, desired: d })
      busy.add(mk)
      continue
    }
    if (c.labels['io.dokkaa.spec'] !== d.specHash) {
      const list = candidates.get(mk) ?? []
      list.push({ d, c })
      candidates.set(mk, list)
      continue
    }
    const step = runStateStep(d, c, now)
    if (typeof step === 'number') later(plan, step)
    else if (step) plan.steps.push(step)
    // An instance that is being acted on or waits out a crash-loop delay is not up; one that
    // its restart policy leaves down (a finished job) is settled and blocks nothing.
    if (d.run === 'running' && (step !== undefined || c.state === 'restarting')) busy.add(mk)
  }

  for (const [mk, list] of candidates) {
    const down = list.filter(x => !isUp(x.c))
    const up = list.filter(x => isUp(x.c))
    for (const { d, c } of down) plan.steps.push({ kind: 'replace', ref: d.ref, containerId: c.id, desired: d })
    // Replacing a running instance takes it away for a moment: only one at a time, and
    // only while every other instance of the manifest is up.
    if (up.length > 0 && down.length === 0 && !busy.has(mk)) {
      const { d, c } = up[0]!
      plan.steps.push({ kind: 'replace', ref: d.ref, containerId: c.id, desired: d })
      plan.deferred += up.length - 1
    } else {
      plan.deferred += up.length
    }
  }
  return plan
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

function oldestHealthyFirst(cs: ActualContainer[]): ActualContainer[] {
  const rank = (c: ActualContainer) => (isUp(c) ? 0 : c.state === 'removing' || c.state === 'dead' ? 2 : 1)
  return [...cs].sort((a, b) => rank(a) - rank(b) || a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

function later(plan: Plan, at: number): void {
  plan.retryAt = plan.retryAt === undefined ? at : Math.min(plan.retryAt, at)
}

/** The step the run state and restart policy call for; a number is "not before then" (crash-loop delay). */
function runStateStep(d: DesiredInstance, c: ActualContainer, now: number): Step | number | undefined {
  const base = { ref: d.ref, containerId: c.id }
  switch (d.run) {
    case 'stopped':
      return c.state === 'running' || c.state === 'paused' || c.state === 'restarting' ? { kind: 'stop', ...base } : undefined
    case 'paused':
      if (c.state === 'running') return { kind: 'pause', ...base }
      if (c.state === 'created' || c.state === 'exited') return { kind: 'start', ...base, reason: 'run-state', thenPause: true }
      return undefined
    case 'running':
      break
  }
  switch (c.state) {
    case 'running': {
      const done = c.restartGeneration ?? d.restartGeneration
      return d.restartGeneration > done ? { kind: 'restart', ...base, generation: d.restartGeneration } : undefined
    }
    case 'paused':
      return { kind: 'unpause', ...base }
    case 'created':
      return { kind: 'start', ...base, reason: 'never-started' }
    case 'exited': {
      if (c.stoppedByUs) return { kind: 'start', ...base, reason: 'run-state' }
      const policy = d.spec.restart
      if (policy === 'never' || (policy === 'on-failure' && c.exitCode === 0)) return undefined
      const at = (c.finishedAt ?? 0) + restartDelay(c.quickRestarts ?? 0)
      if (at > now) return at
      return { kind: 'start', ...base, reason: 'restart-policy' }
    }
    default:
      return undefined
  }
}
