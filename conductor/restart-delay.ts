// How long to wait before restarting a container that keeps dying. The first few
// restarts are immediate (a `docker kill` must come back within seconds); a container
// that dies again right after starting waits longer each time, up to half a minute.

/** A run shorter than this counts as a crash loop. */
export const QUICK_RUN_MS = 10_000
const FREE_RESTARTS = 3
const BASE_MS = 1_000
const MAX_MS = 30_000

export function restartDelay(quickRestarts: number): number {
  if (quickRestarts < FREE_RESTARTS) return 0
  return Math.min(MAX_MS, BASE_MS * 2 ** (quickRestarts - FREE_RESTARTS))
}

/** Per-key backoff for failed work (pull errors, engine errors): 0.5 s doubling to 60 s. */
export function failureBackoff(failures: number): number {
  if (failures <= 0) return 0
  return Math.min(60_000, 500 * 2 ** (failures - 1))
}
