// Health checks: how a manifest says an instance can take traffic, resolved to what the
// conductor runs. http and tcp checks are made by the conductor from the host against the
// instance's published port (so they work on images without curl); cmd becomes Docker's
// HEALTHCHECK and the conductor reads its verdict. Pure.
import { parseDuration } from './duration.js'
import type { ContainerSpec, HealthSpec, ManifestError, PortRef, ServiceSpec } from './manifest.js'

/** What an instance's record says of its health (absent: the spec and image have no check). */
export type HealthState = 'starting' | 'healthy' | 'unhealthy'

export const HEALTH_DEFAULTS = { intervalMs: 5_000, timeoutMs: 2_000, retries: 3, startPeriodMs: 0 } as const

interface Timing {
  intervalMs: number
  timeoutMs: number
  /** Consecutive failures that make an instance unhealthy. */
  retries: number
  /** Failures during this time after the start do not count (a slow boot). */
  startPeriodMs: number
}

/** A check the conductor runs, or hands to Docker. */
export type ResolvedHealthCheck = Timing & (
  | { kind: 'http'; path: string; service: string; containerPort: number }
  | { kind: 'tcp'; service: string; containerPort: number }
  | { kind: 'cmd'; cmd: string[] }
)

/** The check of a valid spec, or undefined when it has none (the image's HEALTHCHECK, if any, then counts). */
export function resolveHealthCheck(spec: Pick<ContainerSpec, 'health' | 'services'>): ResolvedHealthCheck | undefined {
  const h = spec.health
  if (!h) return undefined
  const timing: Timing = {
    intervalMs: ms(h.interval, HEALTH_DEFAULTS.intervalMs),
    timeoutMs: ms(h.timeout, HEALTH_DEFAULTS.timeoutMs),
    retries: h.retries ?? HEALTH_DEFAULTS.retries,
    startPeriodMs: ms(h.startPeriod, HEALTH_DEFAULTS.startPeriodMs),
  }
  if (h.cmd) return { ...timing, kind: 'cmd', cmd: [...h.cmd] }
  const services = spec.services ?? {}
  if (h.tcp !== undefined) {
    const target = serviceOf(services, h.tcp)
    return target && { ...timing, kind: 'tcp', service: target[0], containerPort: target[1].port }
  }
  if (h.http !== undefined) {
    const { path, port } = typeof h.http === 'string' ? { path: h.http, port: undefined } : h.http
    const target = port === undefined ? defaultHttpService(services) : serviceOf(services, port)
    return target && { ...timing, kind: 'http', path, service: target[0], containerPort: target[1].port }
  }
  return undefined
}

/** The longest an instance may take from start to a verdict: start period, then `retries` checks. */
export function healthVerdictWithinMs(check: ResolvedHealthCheck): number {
  return check.startPeriodMs + check.retries * (check.intervalMs + check.timeoutMs)
}

/** How long an unhealthy instance, already out of DNS and the proxies, may recover on its
 * own before it is restarted: as long again as it took to be judged unhealthy (`retries`
 * intervals). An image's own HEALTHCHECK (no check of ours) gets the defaults' grace. */
export function unhealthyRestartGraceMs(check: ResolvedHealthCheck | undefined): number {
  const { retries, intervalMs } = check ?? HEALTH_DEFAULTS
  return retries * intervalMs
}

/** What the schema cannot say about `health`: one kind of check, a port the manifest publishes, sane timing. */
export function healthProblems(health: HealthSpec | undefined, services: Record<string, ServiceSpec>, dockerflags?: Record<string, unknown>): ManifestError[] {
  if (!health) return []
  const errors: ManifestError[] = []
  const kinds = (['http', 'tcp', 'cmd'] as const).filter(k => health[k] !== undefined)
  if (kinds.length !== 1) {
    errors.push({ path: '/health', message: `a health check has exactly one of http, tcp or cmd (found ${kinds.length === 0 ? 'none' : kinds.join(', ')}); e.g. {"http": "/healthz"}` })
  }
  if (health.tcp !== undefined) errors.push(...portProblems('/health/tcp', health.tcp, services))
  if (health.http !== undefined) {
    const port = typeof health.http === 'string' ? undefined : health.http.port
    if (port !== undefined) errors.push(...portProblems('/health/http/port', port, services))
    else if (!defaultHttpService(services)) {
      const names = Object.keys(services)
      errors.push({
        path: '/health/http',
        message: names.length === 0
          ? 'an http check needs a published service to reach; add "services" or use {"cmd": [...]}'
          : `say which service to check: {"path": "/healthz", "port": "<one of ${names.join(', ')}>"} (no single web service to default to)`,
      })
    }
  }
  const interval = ms(health.interval, HEALTH_DEFAULTS.intervalMs)
  if (interval < 100) errors.push({ path: '/health/interval', message: 'interval must be at least 100ms' })
  if (ms(health.timeout, 0) > 3_600_000 || interval > 3_600_000) errors.push({ path: '/health', message: 'interval and timeout are at most 1h' })
  if (health.timeout !== undefined && ms(health.timeout, 0) < 10) errors.push({ path: '/health/timeout', message: 'timeout must be at least 10ms' })
  if (health.cmd && dockerflags && 'Healthcheck' in dockerflags) errors.push({ path: '/health/cmd', message: 'give the check once, in health' })
  return errors
}

function portProblems(path: string, ref: PortRef, services: Record<string, ServiceSpec>): ManifestError[] {
  const target = serviceOf(services, ref)
  if (!target) {
    const have = Object.entries(services).map(([n, s]) => `${n} (${s.port})`).join(', ') || 'none'
    return [{ path, message: `${JSON.stringify(ref)} is not a service of this manifest (by name or port); services: ${have}` }]
  }
  if (target[1].protocol === 'udp') return [{ path, message: `service ${target[0]} is udp; tcp and http checks need a tcp service` }]
  return []
}

function serviceOf(services: Record<string, ServiceSpec>, ref: PortRef): [string, ServiceSpec] | undefined {
  const entries = Object.entries(services)
  return typeof ref === 'number'
    ? entries.find(([, s]) => s.port === ref && s.protocol !== 'udp')
    : entries.find(([name]) => name === ref)
}

// Without a port: the one web service, else the one service.
function defaultHttpService(services: Record<string, ServiceSpec>): [string, ServiceSpec] | undefined {
  const tcp = Object.entries(services).filter(([, s]) => s.protocol !== 'udp')
  const web = tcp.filter(([, s]) => s.role === 'web')
  if (web.length === 1) return web[0]
  return tcp.length === 1 ? tcp[0] : undefined
}

function ms(text: string | undefined, fallback: number): number {
  return text === undefined ? fallback : parseDuration(text) ?? fallback
}
