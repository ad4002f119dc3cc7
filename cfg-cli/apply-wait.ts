// `apply --wait`: follows each applied manifest until the rollout of the revision it put
// ends, then says how. It polls the builder's REST API (GET /api/v1/apps/<app>, one request
// per app per round, served from the builder's in-memory copy) rather than holding an event
// stream: a poll survives a builder restart or a proxy that cuts long requests, and a state
// skipped between two polls changes nothing about the outcome, which is read from the
// status itself (the rollout's end state and its revision), not from the events seen.
import { formatDuration, type ApiAppSummary } from '../schemas/index.js'
import type { BuilderClient } from './api-client.js'
import { ApiError, NotFoundError, RolloutFailedError, WaitTimeoutError } from './errors.js'
import { describeLines, follow, initial, isFinal, timedOut, type Followed, type WaitTarget } from './rollout-follow.js'
import type { RolloutProgress } from './rollout-progress.js'

export const DEFAULT_WAIT_TIMEOUT_MS = 10 * 60_000
const POLL_MS = 500

export interface WaitOptions {
  timeoutMs: number
  progress: RolloutProgress
  intervalMs?: number
  now?: () => number
  sleep?: (ms: number) => Promise<void>
}

const pause = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms))

/** Follows every target until each has ended or the timeout passed; returns where each stands. */
export async function followRollouts(api: BuilderClient, targets: readonly WaitTarget[], opts: WaitOptions): Promise<Followed[]> {
  const now = opts.now ?? Date.now
  const sleep = opts.sleep ?? pause
  const deadline = now() + opts.timeoutMs
  let current = targets.map(initial)
  opts.progress.update(current)
  for (;;) {
    const open = [...new Set(targets.filter((_, i) => !isFinal(current[i]!)).map(t => t.app))]
    const views = new Map<string, ApiAppSummary | null>()
    for (const app of open) {
      const summary = await readApp(api, app)
      if (summary !== undefined) views.set(app, summary)
    }
    current = current.map((f, i) => {
      const t = targets[i]!
      const summary = views.get(t.app)
      // Not read this round (the builder did not answer): as it was.
      if (isFinal(f) || summary === undefined) return f
      return follow(t, summary?.manifests.find(m => m.name === t.name))
    })
    if (current.every(isFinal)) break
    const left = deadline - now()
    if (left <= 0) {
      current = current.map(timedOut)
      break
    }
    opts.progress.update(current)
    await sleep(Math.min(opts.intervalMs ?? POLL_MS, left))
  }
  opts.progress.update(current)
  return current
}

/**
 * One app's manifests; null when the app is gone (all its manifests deleted); undefined
 * when the builder did not answer this time (unreachable, 5xx, rate limited): the next
 * round asks again. Anything else (credentials) ends the wait.
 */
async function readApp(api: BuilderClient, app: string): Promise<ApiAppSummary | null | undefined> {
  try {
    return await api.json<ApiAppSummary>('GET', `/api/v1/apps/${encodeURIComponent(app)}`)
  } catch (e) {
    if (e instanceof NotFoundError) return null
    if (e instanceof ApiError && (e.status === undefined || e.status >= 500 || e.status === 429)) return undefined
    throw e
  }
}

/**
 * Throws unless every target rolled out: RolloutFailedError (exit 8) when one did not,
 * WaitTimeoutError (exit 9) when the only trouble is time. The message lists each target
 * that did not end well, with the reason and an invalid manifest's errors.
 */
export function assertRolledOut(all: readonly Followed[], timeoutMs: number): void {
  const bad = all.filter(f => f.state !== 'done')
  if (bad.length === 0) return
  const lines = bad.flatMap(describeLines)
  const failed = bad.filter(f => f.state !== 'timed-out')
  if (failed.length > 0) {
    throw new RolloutFailedError(`${failed.length} of ${all.length} applied manifest${all.length === 1 ? '' : 's'} did not roll out:\n${lines.join('\n')}`,
      'the manifests as written stay in etcd; fix them and apply again (`dokkaacfg ps` shows each instance\'s health and last failed check)')
  }
  throw new WaitTimeoutError(`gave up waiting after ${formatDuration(timeoutMs)}:\n${lines.join('\n')}`,
    'the rollouts go on in the cluster: follow them with `dokkaacfg ls`, or wait longer with --timeout')
}
