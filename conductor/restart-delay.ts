// How long to wait before restarting a container that keeps dying. The first few
// restarts are immediate (a `docker kill` must come back within seconds); a container
// that dies again right after starting waits longer each time, up to half a minute.
// Domain rules; the doubling itself is kit/backoff.ts's.
import { backoffDelay, type BackoffPolicy } from '../kit/backoff.js'

/** A run shorter than this counts as a crash loop. */
export const QUICK_RUN_MS = 10_000
const FREE_RESTARTS = 3
const CRASH_LOOP: BackoffPolicy = { baseMs: 1_000, maxMs: 30_000 }
const FAILURE: BackoffPolicy = { baseMs: 500, maxMs: 60_000 }

export function restartDelay(quickRestarts: number): number {
  if (quickRestarts < FREE_RESTARTS) return 0
  return backoffDelay(quickRestarts - FREE_RESTARTS, CRASH_LOOP)
}

/** Per-key backoff for failed work (pull errors, engine errors): 0.5 s doubling to 60 s. */
export function failureBackoff(failures: number): number {
  if (failures <= 0) return 0
  return backoffDelay(failures - 1, FAILURE)
}
