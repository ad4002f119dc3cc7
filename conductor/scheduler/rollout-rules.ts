// How the scheduler judges one instance during a rolling update, from its record alone:
// ready (answers for its assignment), good (ready for the whole monitor period), failed
// (the new version is broken). Pure; time comes in as `now`.
import {
  formatDuration, healthVerdictWithinMs, resolveHealthCheck,
  type Assignment, type InstanceRecord,
} from '../../schemas/index.js'

/** Time a new instance gets for its image pull and start, on top of its monitor and health checks. */
export const PULL_ALLOWANCE_MS = 60_000
/** An image's own HEALTHCHECK with Docker's defaults (interval 30 s, timeout 30 s, 3 retries) reaches a verdict within this. */
export const IMAGE_CHECK_VERDICT_MS = 3 * (30_000 + 30_000)

interface Placed {
  host: string
  value: Assignment
}

/** The instance answers for its assignment: right host, right spec, in the asked-for state,
 * and healthy when it has a health check (running alone is "up" only without one). */
export function isReady(slot: Placed, inst: InstanceRecord | undefined): boolean {
  if (!inst || inst.host !== slot.host || inst.specHash !== slot.value.specHash) return false
  switch (slot.value.run ?? 'running') {
    case 'running': return inst.state === 'running' && (inst.health === undefined || inst.health === 'healthy')
    case 'paused': return inst.state === 'paused'
    case 'stopped': return inst.state === 'stopped' || inst.state === 'exited'
  }
}

/** Since when a ready instance has been up without a break: healthySince with a check,
 * startedAt without; undefined when the record does not say (a conductor from before health
 * checks): then there is nothing to count the monitor from, and ready is good. */
export function readySince(inst: InstanceRecord): number | undefined {
  const at = inst.health !== undefined ? inst.healthySince : inst.startedAt
  if (at === undefined) return undefined
  const ms = Date.parse(at)
  return Number.isNaN(ms) ? undefined : ms
}

/** Ready, and for at least `monitorMs` (only a running instance is monitored). */
export function isGood(slot: Placed, inst: InstanceRecord | undefined, monitorMs: number, now: number): boolean {
  if (!isReady(slot, inst)) return false
  if ((slot.value.run ?? 'running') !== 'running') return true
  const from = readySince(inst!)
  return from === undefined || now - from >= monitorMs
}

/** When a ready instance becomes good; undefined when it is good already or not ready. */
export function goodAt(slot: Placed, inst: InstanceRecord | undefined, monitorMs: number, now: number): number | undefined {
  if (!isReady(slot, inst) || isGood(slot, inst, monitorMs, now)) return undefined
  return readySince(inst!)! + monitorMs
}

/** When the instance of a step became good, as far as anyone can tell (for update.delay). */
export function becameGoodAt(slot: Placed, inst: InstanceRecord | undefined, monitorMs: number): number | undefined {
  const from = inst && isReady(slot, inst) ? readySince(inst) : undefined
  if (from !== undefined) return from + monitorMs
  return parseTime(slot.value.since)
}

/** How long after its step starts an instance may take to become good before it counts as failed. */
export function stepBudgetMs(slot: Placed, inst: InstanceRecord | undefined, monitorMs: number): number {
  const check = resolveHealthCheck(slot.value.spec)
  const verdict = check ? healthVerdictWithinMs(check) : inst?.health !== undefined ? IMAGE_CHECK_VERDICT_MS : 0
  return monitorMs + verdict + PULL_ALLOWANCE_MS
}

/** When the step of an instance runs out of time; undefined without a `since`. */
export function stepDeadline(slot: Placed, inst: InstanceRecord | undefined, monitorMs: number): number | undefined {
  const since = parseTime(slot.value.since)
  return since === undefined ? undefined : since + stepBudgetMs(slot, inst, monitorMs)
}

export interface FailureInput {
  index: number
  slot: Placed
  inst: InstanceRecord | undefined
  /** The instance's restart count when the rollout changed it, if known. */
  restartsBefore: number | undefined
  monitorMs: number
  now: number
  /** Whether the step's deadline counts (not in a rollout that starts now). */
  timed: boolean
}

/**
 * Why an instance the rollout put on the new spec shows the new version is broken, or
 * undefined while it may still come good: unhealthy, failed, exited, restarting or
 * restarted since the step (a crash loop), or not good within its step's budget.
 */
export function failureOf(f: FailureInput): string | undefined {
  const { index, slot, inst } = f
  const who = `instance ${index} on ${slot.host}`
  const asked = (slot.value.run ?? 'running') === 'running'
  if (asked && inst && inst.host === slot.host && inst.specHash === slot.value.specHash) {
    const why = inst.error ? `: ${inst.error}` : ''
    const code = inst.exitCode === undefined ? '' : ` (exit code ${inst.exitCode})`
    if (inst.state === 'failed') return `${who} failed${code}${why}`
    if (inst.state === 'exited') return `${who} exited${code}${why}`
    if (inst.state === 'restarting') return `${who} is restarting (crash loop)${code}`
    if (f.restartsBefore !== undefined && inst.restarts > f.restartsBefore) {
      const n = inst.restarts - f.restartsBefore
      return `${who} restarted ${n} time${n === 1 ? '' : 's'} since it was updated (crash loop)`
    }
    if (inst.health === 'unhealthy') return `${who} is unhealthy: ${inst.healthError ?? 'its health check fails'}`
  }
  const deadline = f.timed ? stepDeadline(slot, inst, f.monitorMs) : undefined
  if (deadline !== undefined && f.now >= deadline && !isGood(slot, inst, f.monitorMs, f.now)) {
    const budget = stepBudgetMs(slot, inst, f.monitorMs)
    const checked = resolveHealthCheck(slot.value.spec) !== undefined || inst?.health !== undefined
    return `${who} was not ${checked ? 'healthy' : 'running'} for ${formatDuration(f.monitorMs)} within ${formatDuration(budget)} of its update`
  }
  return undefined
}

function parseTime(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined
  const ms = Date.parse(iso)
  return Number.isNaN(ms) ? undefined : ms
}
