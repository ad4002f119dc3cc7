// The conductor's health checks of the containers it runs: one monitor per conductor,
// told which containers to watch and how; it probes them (http/tcp from the host) or
// follows Docker's verdict (cmd checks and images' own HEALTHCHECK), and calls back when
// a container's verdict changes. The verdict rules are pure (health-verdict.ts).
import type { HealthState, ResolvedHealthCheck } from '../../schemas/index.js'

/** What a container's check says now. */
export interface HealthVerdict {
  state: HealthState
  /** The last failed check, for a human ("GET /healthz: 503", "connect ECONNREFUSED 10.0.0.5:32768"). */
  error?: string
  /** Since when it has been healthy without a break (ms since the epoch). */
  healthySince?: number
  /** Since when it has been unhealthy without a break (ms since the epoch). */
  unhealthySince?: number
}

/** Where and how to check one container. */
export interface WatchRequest {
  containerId: string
  /** The check: the manifest's (http/tcp probed here; cmd runs in Docker), or 'docker' for an image's own HEALTHCHECK. */
  check: ResolvedHealthCheck | { kind: 'docker' }
  /** For http/tcp: the address and (published) port to connect to. */
  target?: { host: string; port: number }
  /** When the container started (ms since the epoch): the start period counts from it. */
  startedAt: number
}

export interface HealthWatcher {
  /** Starts watching (or keeps watching, unchanged, when called again with the same request). */
  watch(req: WatchRequest): void
  /** Stops watching a container (it was removed or stopped). */
  unwatch(containerId: string): void
  /** The container's verdict now; undefined when it is not watched. */
  verdict(containerId: string): HealthVerdict | undefined
  /** Docker said something about a container's health (a health_status event or an inspect). */
  dockerSaid(containerId: string, status: 'starting' | 'healthy' | 'unhealthy', lastError?: string): void
  close(): void
}

/** Called when a watched container's state changes (starting → healthy, healthy → unhealthy, …). */
export type OnVerdictChange = (containerId: string, verdict: HealthVerdict) => void
