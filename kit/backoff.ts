// The one retry delay every Dokkaa loop uses: doubling from a base to a cap. Callers
// keep their own attempt counters (per key, per loop); this only says how long to wait.

export interface BackoffPolicy {
  /** Delay of the first retry (attempt 0). */
  baseMs: number
  /** Longest delay. */
  maxMs: number
}

/** Reconnects and resyncs: 0.5 s doubling to 10 s. */
export const RESYNC_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 10_000 }

/** The delay before retry number `attempt` (0-based): base × 2^attempt, at most max. */
export function backoffDelay(attempt: number, policy: BackoffPolicy = RESYNC_BACKOFF): number {
  if (!Number.isFinite(attempt) || attempt <= 0) return policy.baseMs
  // 2 ** 60 and beyond is Infinity-sized noise; the cap is reached long before.
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 50))
}

/** A timer that does not keep the process alive. */
export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms).unref())
}
