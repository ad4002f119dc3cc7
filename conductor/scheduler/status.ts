// The status a user reads at /apps/<app>/<name>/status: what the scheduler decided and
// how far the cluster got, in one record. Pure; written only when it changed.
import {
  canonicalJson, type AppPhase, type AppRef, type ControlRecord, type InstanceRecord, type RolloutStatus, type StatusRecord,
} from '../../schemas/index.js'
import { desiredRun } from './assignment-value.js'
import type { ManifestOutcome, Target } from './plan-manifest.js'
import { instanceId, type ScheduleEvent } from './plan-types.js'

export interface StatusInput {
  ref: AppRef
  target: Exclude<Target, { kind: 'deleted' }>
  /** Mod revision of the manifest key. */
  revision: number
  outcome: ManifestOutcome
  control: ControlRecord | undefined
  instances: ReadonlyMap<string, InstanceRecord>
  /** Ids of live hosts: a dead host's instance records are about to vanish with its lease. */
  alive: ReadonlySet<string>
  previous: StatusRecord | undefined
  /** Links of the manifest (of the deployed spec when the manifest is invalid). */
  links: readonly string[]
  /** "app/service" of every service some manifest in the cluster provides. */
  provided: ReadonlySet<string>
  now: number
}

const MAX_EVENTS_IN_MESSAGE = 3
/**
 * A status lists at most this many errors and problems, each cut to MAX_STATUS_TEXT: a
 * manifest with thousands of unknown fields, or an instance record carrying a megabyte of
 * "error", must not make a status etcd refuses to store (the plan's write would fail on
 * every retry and stall the scheduler for everyone).
 */
export const MAX_STATUS_ENTRIES = 20
export const MAX_STATUS_TEXT = 2000

export function computeStatus(input: StatusInput): StatusRecord {
  const { ref, target, outcome, previous, revision } = input
  const placed = [...outcome.after.entries()].sort(([a], [b]) => a - b)
  // What a valid manifest deploys: its own spec, or the last good one after a rollback.
  const deployed = target.kind === 'valid' ? outcome.deployed ?? target.base : undefined
  const specHash = deployed ? deployed.specHash : previous?.specHash ?? placed[0]?.[1].value.specHash
  const indexes = target.kind === 'valid' ? range(target.scale) : placed.map(([i]) => i)
  const desired = indexes.filter(i => desiredRun(input.control, i) === 'running').length

  let running = 0
  let anyRunning = false
  const instanceProblems: string[] = []
  const pulling: string[] = []
  for (const [index, p] of placed) {
    const inst = input.instances.get(instanceId({ ...ref, index }))
    if (!inst || inst.host !== p.host || !input.alive.has(p.host)) continue
    if (inst.state === 'running') {
      anyRunning = true
      // Up means healthy too, for an instance with a health check (its own or its image's).
      const up = inst.health === undefined || inst.health === 'healthy'
      if (up && inst.specHash === (deployed ? deployed.specHash : p.value.specHash)) running++
      if (inst.health === 'unhealthy') instanceProblems.push(`instance ${index} on ${p.host} is unhealthy: ${inst.healthError ?? 'its health check fails'}`)
    }
    if (inst.pullProgress) pulling.push(cut(`instance ${index} on ${p.host}: pulling ${inst.pullProgress}`))
    if (inst.error) instanceProblems.push(`instance ${index} on ${p.host}: ${inst.error}`)
    else if (inst.state === 'failed') {
      instanceProblems.push(`instance ${index} on ${p.host} failed${inst.exitCode === undefined ? '' : ` (exit code ${inst.exitCode})`}`)
    }
  }
  const problems = boundedList([...outcome.problems, ...instanceProblems, ...linkProblems(ref, input.links, input.provided)],
    n => `and ${n} more problems`).map(p => cut(p))
  const warnings = boundedList(outcome.warnings, n => `and ${n} more warnings`).map(w => cut(w))
  const errors = boundedList(target.kind === 'invalid' ? target.errors : [], n => ({ path: '', message: `and ${n} more errors` }))
    .map(e => ({ path: cut(e.path), message: cut(e.message) }))
  const plain = phaseOf(target.kind === 'invalid', desired, running, anyRunning, problems.length > 0)
  // A rollout's phase says more than Pending or Degraded; Invalid and Stopped say more than it.
  const phase = outcome.phase && plain !== 'Invalid' && plain !== 'Stopped' ? outcome.phase : plain
  const rollout = boundedRollout(target.kind === 'valid' ? outcome.rollout : previous?.rollout)

  const validRevision = deployed
    ? deployed.revision
    : previous?.validRevision ?? (placed.length ? Math.max(...placed.map(([, p]) => p.value.revision)) : undefined)
  const status: StatusRecord = {
    phase, desired, running, revision,
    ...(validRevision === undefined ? {} : { validRevision }),
    ...(specHash === undefined ? {} : { specHash }),
    errors, problems,
    // Only when there is something to say: a status without warnings reads as it always did.
    ...(warnings.length > 0 ? { warnings } : {}),
    ...(pulling.length > 0 ? { pulling: boundedList(pulling, n => `and ${n} more pulling`) } : {}),
    ...(rollout ? { rollout } : {}),
    lastEvent: previous?.lastEvent ?? { at: iso(input.now), message: `manifest revision ${revision} read` },
    updatedAt: iso(input.now),
  }
  const message = lastEventMessage(input, status)
  if (message !== undefined) status.lastEvent = { at: iso(input.now), message: cut(message) }
  return status
}

function boundedRollout(r: RolloutStatus | undefined): RolloutStatus | undefined {
  return r && r.reason !== undefined ? { ...r, reason: cut(r.reason) } : r
}

function boundedList<T>(list: T[], more: (n: number) => T): T[] {
  return list.length <= MAX_STATUS_ENTRIES ? list : [...list.slice(0, MAX_STATUS_ENTRIES), more(list.length - MAX_STATUS_ENTRIES)]
}

/** Cut to MAX_STATUS_TEXT; cutting again changes nothing (the status read back compares equal). */
function cut(s: string): string {
  return s.length > MAX_STATUS_TEXT ? `${s.slice(0, MAX_STATUS_TEXT)}…` : s
}

function phaseOf(invalid: boolean, desired: number, running: number, anyRunning: boolean, problems: boolean): AppPhase {
  if (invalid) return 'Invalid'
  if (desired === 0) return 'Stopped'
  if (running >= desired && !problems) return 'Running'
  if (problems) return anyRunning ? 'Degraded' : 'Failed'
  return 'Pending'
}

// A link "svc" names a service of the same app, "svc.other" one of app "other".
function linkProblems(ref: AppRef, links: readonly string[], provided: ReadonlySet<string>): string[] {
  const problems: string[] = []
  for (const link of links) {
    const [service, app = ref.app] = link.split('.')
    if (!provided.has(`${app}/${service}`)) problems.push(`link "${link}": no manifest provides service "${service}" in app "${app}" yet`)
  }
  return problems
}

// Something new to say, or undefined to keep the previous lastEvent.
function lastEventMessage(input: StatusInput, status: StatusRecord): string | undefined {
  const { previous, revision, outcome } = input
  const parts: string[] = []
  if (status.phase === 'Invalid' && (previous?.phase !== 'Invalid' || previous.revision !== revision)) {
    const n = input.target.kind === 'invalid' ? input.target.errors.length : status.errors.length
    parts.push(`manifest revision ${revision} is invalid (${n} error${n === 1 ? '' : 's'}); ` +
      (status.validRevision === undefined ? 'nothing deployed' : `revision ${status.validRevision} keeps running`))
  }
  if (outcome.events.length > 0) parts.push(summarize(outcome.events))
  if (parts.length > 0) return parts.join('; ')
  if (previous === undefined || previous.phase !== status.phase) return phaseSentence(status, input)
  if (previous.revision !== revision) return `manifest revision ${revision} accepted: no instance changes`
  return undefined
}

function summarize(events: readonly ScheduleEvent[]): string {
  const shown = events.slice(0, MAX_EVENTS_IN_MESSAGE).map(e => e.message)
  if (events.length > MAX_EVENTS_IN_MESSAGE) shown.push(`and ${events.length - MAX_EVENTS_IN_MESSAGE} more`)
  return shown.join('; ')
}

function phaseSentence(s: StatusRecord, input: StatusInput): string {
  switch (s.phase) {
    case 'Running': return `all ${s.desired} instance${s.desired === 1 ? '' : 's'} running`
    case 'Pending': return `waiting for ${s.desired - s.running} of ${s.desired} instances`
    case 'Degraded': return `${s.running} of ${s.desired} running: ${s.problems[0]}`
    case 'Failed': return `none of ${s.desired} running: ${s.problems[0]}`
    case 'Stopped': return input.target.kind === 'valid' && input.target.scale === 0 ? 'scaled to 0' : 'stopped by control'
    case 'Invalid': return `manifest revision ${s.revision} is invalid`
    case 'Updating': return `rolling update: ${s.rollout?.updated ?? 0} of ${s.rollout?.total ?? s.desired} instances updated`
    case 'RolledBack': return `rolled back to revision ${s.rollout?.from.revision ?? '?'}: ${s.rollout?.reason ?? 'the new version failed'}`
    case 'Paused': return `rolling update paused: ${s.rollout?.reason ?? 'the new version failed'}`
  }
}

/** Equal but for updatedAt: nothing worth a write. */
export function sameStatus(a: StatusRecord | undefined, b: StatusRecord): boolean {
  if (!a) return false
  return canonicalJson({ ...a, updatedAt: undefined }) === canonicalJson({ ...b, updatedAt: undefined })
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i)
}

function iso(ms: number): string {
  return new Date(ms).toISOString()
}
