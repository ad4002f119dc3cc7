// What one container on its instance's spec needs, from the run state the scheduler asks
// for and the spec's restart policy: start, stop, pause, unpause, or a restart (asked for
// by a generation bump, or because its health check says it is unhealthy). Pure.
import type { ActualContainer, DesiredInstance, Step } from './model.js'
import { resolveHealthCheck, unhealthyRestartGraceMs } from '../schemas/index.js'
import { restartDelay } from './restart-delay.js'

/** The step the run state and restart policy call for; a number is "not before then" (crash-loop delay). */
export function runStateStep(d: DesiredInstance, c: ActualContainer, now: number): Step | number | undefined {
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
  const policy = d.spec.restart
  switch (c.state) {
    case 'running': {
      // Unhealthy is a death that has not happened yet: restarted like a crash, counted
      // like one (and spaced out like one when it keeps happening). Not at once: it is out
      // of DNS and the proxies from the moment it turned unhealthy, and one that was only
      // overloaded recovers without its traffic; a restart then would turn a slow minute
      // into a restart storm. It is restarted if it is still unhealthy after the grace.
      if (c.health === 'unhealthy' && policy !== 'never') {
        const grace = (c.unhealthySince ?? 0) + unhealthyRestartGraceMs(resolveHealthCheck(d.spec))
        const at = Math.max((c.startedAt ?? 0) + restartDelay(c.quickRestarts ?? 0), grace)
        return at > now ? at : { kind: 'restart', ...base, generation: d.restartGeneration, reason: 'unhealthy' }
      }
      const done = c.restartGeneration ?? d.restartGeneration
      return d.restartGeneration > done ? { kind: 'restart', ...base, generation: d.restartGeneration, reason: 'generation' } : undefined
    }
    case 'paused':
      return { kind: 'unpause', ...base }
    case 'created':
      return { kind: 'start', ...base, reason: 'never-started' }
    case 'exited': {
      if (c.stoppedByUs) return { kind: 'start', ...base, reason: 'run-state' }
      if (policy === 'never' || (policy === 'on-failure' && c.exitCode === 0)) return undefined
      const at = (c.finishedAt ?? 0) + restartDelay(c.quickRestarts ?? 0)
      if (at > now) return at
      return { kind: 'start', ...base, reason: 'restart-policy' }
    }
    default:
      return undefined
  }
}

/** Left down (or sick) by its restart policy on purpose: it blocks no replacement of the manifest. */
export function settledDown(d: DesiredInstance, c: ActualContainer): boolean {
  if (c.state === 'running') return c.health === 'unhealthy' && d.spec.restart === 'never'
  return c.state === 'exited' && !c.stoppedByUs && (d.spec.restart === 'never' || (d.spec.restart === 'on-failure' && c.exitCode === 0))
}
