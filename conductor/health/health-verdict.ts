// The verdict of a health check from its results, as Docker and Swarm define it: the
// first success makes an instance healthy; `retries` failures in a row make it
// unhealthy; failures within the start period after the start do not count (a slow boot
// is not a failure). Pure: results and the clock come in, the verdict goes out.
import type { HealthState } from '../../schemas/index.js'

export interface VerdictState {
  status: HealthState
  /** Failures in a row that counted. */
  failures: number
  /** The last failure's reason, kept while the instance is not healthy. */
  error?: string
  /** Since when it has been healthy without a break (ms since the epoch). */
  healthySince?: number
  /** Since when it has been unhealthy without a break: the restart waits a grace after it. */
  unhealthySince?: number
}

export interface VerdictRules {
  retries: number
  startPeriodMs: number
  /** When the container started (ms since the epoch). */
  startedAt: number
}

export const FIRST_VERDICT: VerdictState = { status: 'starting', failures: 0 }

/** The state after one check: `error` undefined means it passed. */
export function afterCheck(s: VerdictState, error: string | undefined, now: number, rules: VerdictRules): VerdictState {
  if (error === undefined) {
    return { status: 'healthy', failures: 0, healthySince: s.status === 'healthy' ? s.healthySince ?? now : now }
  }
  const inStartPeriod = s.status !== 'healthy' && now < rules.startedAt + rules.startPeriodMs
  if (inStartPeriod) return { ...s, error }
  const failures = s.failures + 1
  if (failures >= rules.retries) return { status: 'unhealthy', failures, error, unhealthySince: s.status === 'unhealthy' ? s.unhealthySince ?? now : now }
  // Not yet `retries` in a row: a healthy instance stays healthy (and keeps its healthySince).
  return s.status === 'healthy' ? { ...s, failures } : { ...s, failures, error }
}

/** Docker's own verdict (a cmd check, or an image's HEALTHCHECK), taken as it is. */
export function fromDocker(s: VerdictState, status: HealthState, lastError: string | undefined, now: number): VerdictState {
  if (status === 'healthy') return { status, failures: 0, healthySince: s.status === 'healthy' ? s.healthySince ?? now : now }
  const since = status === 'unhealthy' ? { unhealthySince: s.status === 'unhealthy' ? s.unhealthySince ?? now : now } : {}
  return { status, failures: status === 'unhealthy' ? Math.max(1, s.failures) : 0, ...(lastError ? { error: lastError } : s.error ? { error: s.error } : {}), ...since }
}

/** Whether a change is worth telling the conductor (and writing to etcd). */
export function changed(a: VerdictState, b: VerdictState): boolean {
  return a.status !== b.status || (b.status !== 'healthy' && a.error !== b.error) || a.healthySince !== b.healthySince
}
