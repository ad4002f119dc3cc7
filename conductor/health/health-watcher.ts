// The conductor's HealthWatcher (health-monitor.ts): probes http/tcp checks on their
// interval and takes Docker's word for cmd checks and images' own HEALTHCHECKs. Until a
// container is first healthy it is also probed every STARTING_POLL_MS, so a rollout
// waits for readiness, not for the next interval; those extra probes only ever count a
// success, so `retries` failures still take `retries` intervals, as the user set it.
import { canonicalJson } from '../../schemas/index.js'
import { afterCheck, changed, FIRST_VERDICT, fromDocker, type VerdictState } from './health-verdict.js'
import type { HealthVerdict, HealthWatcher, OnVerdictChange, WatchRequest } from './health-monitor.js'
import { httpProbe, tcpProbe } from './probes.js'

export const STARTING_POLL_MS = 250

interface Watched {
  req: WatchRequest
  key: string
  state: VerdictState
  timers: NodeJS.Timeout[]
  probing: boolean
}

export function createHealthWatcher(onChange: OnVerdictChange, clock: () => number = Date.now): HealthWatcher {
  const watched = new Map<string, Watched>()

  const set = (w: Watched, next: VerdictState) => {
    const before = w.state
    w.state = next
    if (changed(before, next) && watched.get(w.req.containerId) === w) onChange(w.req.containerId, verdictOf(next))
  }

  const probe = async (w: Watched, counts: boolean) => {
    const { check, target } = w.req
    if (w.probing || !target || (check.kind !== 'http' && check.kind !== 'tcp')) return
    w.probing = true
    try {
      const error = check.kind === 'http' ? await httpProbe(target, check.path, check.timeoutMs) : await tcpProbe(target, check.timeoutMs)
      if (watched.get(w.req.containerId) !== w) return
      if (error === undefined || counts) set(w, afterCheck(w.state, error, clock(), { retries: check.retries, startPeriodMs: check.startPeriodMs, startedAt: w.req.startedAt }))
      else if (w.state.status !== 'healthy') set(w, { ...w.state, error }) // the reason, without counting a failure
    } finally {
      w.probing = false
    }
  }

  const start = (w: Watched) => {
    const { check } = w.req
    if (check.kind !== 'http' && check.kind !== 'tcp') return
    const every = (ms: number, fn: () => void) => { const t = setInterval(fn, ms); t.unref(); w.timers.push(t) }
    every(check.intervalMs, () => void probe(w, true))
    every(Math.min(STARTING_POLL_MS, check.intervalMs), () => { if (w.state.status === 'starting') void probe(w, false) })
    void probe(w, false)
  }

  const stop = (w: Watched) => { for (const t of w.timers) clearInterval(t) }

  return {
    watch(req) {
      const key = canonicalJson(req)
      const had = watched.get(req.containerId)
      if (had?.key === key) return
      if (had) stop(had)
      const w: Watched = { req, key, state: had?.state ?? FIRST_VERDICT, timers: [], probing: false }
      watched.set(req.containerId, w)
      start(w)
    },
    unwatch(containerId) {
      const w = watched.get(containerId)
      if (!w) return
      stop(w)
      watched.delete(containerId)
    },
    verdict(containerId) {
      const w = watched.get(containerId)
      return w && verdictOf(w.state)
    },
    dockerSaid(containerId, status, lastError) {
      const w = watched.get(containerId)
      if (!w || (w.req.check.kind !== 'docker' && w.req.check.kind !== 'cmd')) return
      set(w, fromDocker(w.state, status, lastError, clock()))
    },
    close() {
      for (const w of watched.values()) stop(w)
      watched.clear()
    },
  }
}

function verdictOf(s: VerdictState): HealthVerdict {
  return { state: s.status, ...(s.error !== undefined && s.status !== 'healthy' ? { error: s.error } : {}), ...(s.healthySince !== undefined ? { healthySince: s.healthySince } : {}), ...(s.status === 'unhealthy' && s.unhealthySince !== undefined ? { unhealthySince: s.unhealthySince } : {}) }
}
