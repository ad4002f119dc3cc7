// A manifest's `cmd` check as Docker's HEALTHCHECK (Docker runs it inside the container
// and reports health_status events the conductor follows). Durations in nanoseconds.
import type { ResolvedHealthCheck } from '../../schemas/index.js'
import type { ContainerHealthcheck } from '../docker-engine.js'

const NS_PER_MS = 1_000_000

export function dockerHealthcheck(check: ResolvedHealthCheck | undefined): ContainerHealthcheck | undefined {
  if (check?.kind !== 'cmd') return undefined
  return {
    test: ['CMD', ...check.cmd],
    intervalNs: check.intervalMs * NS_PER_MS,
    timeoutNs: check.timeoutMs * NS_PER_MS,
    retries: check.retries,
    // Docker refuses a start period of 0 below its 1 ms minimum only when set: leave it out then.
    ...(check.startPeriodMs > 0 ? { startPeriodNs: check.startPeriodMs * NS_PER_MS } : {}),
  }
}
