// The agent's side of health checks: which check a container has (its spec's, else its
// image's own HEALTHCHECK), watching it while it runs and only then, Docker's word passed
// on, and the verdict the agent acts on and announces. Probing and the verdict rules are
// health/*. A conductor that restarts must not pull every checked instance out of SkyDNS
// until its first probe: a container that ran before this conductor started and that the
// previous run had in SkyDNS counts as healthy until a check of ours says otherwise.
import type { ContainerSpec, ResolvedHealthCheck } from '../schemas/index.js'
import { resolveHealthCheck } from '../schemas/index.js'
import { portKey } from './container-options.js'
import type { ContainerDetail } from './docker-engine.js'
import type { HealthVerdict, HealthWatcher, WatchRequest } from './health/health-monitor.js'
import type { InstanceMemo } from './instance-record.js'

export type Check = ResolvedHealthCheck | { kind: 'docker' }

/** A container's check: its spec's; else Docker's HEALTHCHECK (the image's, or — its spec
 * unknown — the one a cmd check became); else none (running is ready). */
export function checkOf(c: ContainerDetail, spec: ContainerSpec | undefined): Check | undefined {
  const resolved = spec && resolveHealthCheck(spec)
  if (resolved) return resolved
  return c.healthcheck ? { kind: 'docker' } : undefined
}

/** Where the conductor probes an http or tcp check: the check's service as published on the
 * host address (host network: the container port itself). */
export function targetOf(c: ContainerDetail, check: Check, hostAddress: string): WatchRequest['target'] {
  if (check.kind !== 'http' && check.kind !== 'tcp') return undefined
  const port = c.networkMode === 'host' ? check.containerPort : c.hostPorts[portKey(check.containerPort, 'tcp')]
  return port ? { host: hostAddress, port } : undefined
}

interface Entry {
  mk: string
  startedAt?: number
  /** Ran before this conductor started and was in SkyDNS: healthy until checked. */
  assumeHealthy: boolean
  /** The previous run's healthySince for it. */
  adoptedSince?: number
}

export interface ObserveOptions {
  /** The spec a container was created from, when the assignment still names it. */
  specOf(c: ContainerDetail): ContainerSpec | undefined
  /** A graceful step is under way on it: its watch is the step's business. */
  skip(containerId: string): boolean
  /** What the previous run's record said of the instance's health. */
  adopted(c: ContainerDetail): InstanceMemo['adopted']
}

export class ContainerHealth {
  private readonly entries = new Map<string, Entry>()

  /** `since`: when this conductor started (ms). */
  constructor(private readonly watcher: HealthWatcher, private readonly hostAddress: string, private readonly since: number) {}

  /** The manifest ("app/name") of a container with a check, for the watcher's change callback. */
  manifestOf(containerId: string): string | undefined {
    return this.entries.get(containerId)?.mk
  }

  /** Looks at one manifest's containers as just inspected: watches those running with a
   * check, passes on what Docker said, forgets the rest. */
  observe(mk: string, details: readonly ContainerDetail[], o: ObserveOptions): void {
    const seen = new Set<string>()
    for (const c of details) {
      seen.add(c.id)
      if (o.skip(c.id)) continue
      const check = c.state === 'running' ? checkOf(c, o.specOf(c)) : undefined
      if (!check) {
        this.forget(c.id)
        continue
      }
      this.watcher.watch({ containerId: c.id, check, target: targetOf(c, check, this.hostAddress), startedAt: c.startedAt ?? 0 })
      if (!this.entries.has(c.id)) this.entries.set(c.id, this.entryFor(mk, c, o.adopted(c)))
      if (c.dockerHealth && (check.kind === 'cmd' || check.kind === 'docker')) this.watcher.dockerSaid(c.id, c.dockerHealth.status, c.dockerHealth.lastError)
    }
    for (const [id, e] of this.entries) if (e.mk === mk && !seen.has(id)) this.forget(id)
  }

  /** The watcher's news: an unhealthy verdict ends the benefit of the doubt. One failed
   * check does not: a container that served before counts as healthy, and a healthy one
   * stays so until `retries` checks in a row fail (a slow answer under load is not a death). */
  changed(containerId: string, v: HealthVerdict): void {
    const e = this.entries.get(containerId)
    if (e && v.state === 'unhealthy') {
      e.assumeHealthy = false
      e.adoptedSince = undefined
    }
  }

  /** The verdict to act on and announce; undefined for a container without a check (or not running). */
  healthOf(containerId: string): HealthVerdict | undefined {
    const e = this.entries.get(containerId)
    if (!e) return undefined
    const v: HealthVerdict = this.watcher.verdict(containerId) ?? { state: 'starting' }
    if (e.assumeHealthy && v.state === 'starting') {
      const since = e.adoptedSince ?? e.startedAt
      return { state: 'healthy', ...(since !== undefined ? { healthySince: since } : {}) }
    }
    if (v.state === 'healthy' && e.adoptedSince !== undefined && (v.healthySince === undefined || e.adoptedSince < v.healthySince)) return { ...v, healthySince: e.adoptedSince }
    return v
  }

  /** A health_status event. */
  dockerSaid(containerId: string, status: 'starting' | 'healthy' | 'unhealthy'): void {
    this.watcher.dockerSaid(containerId, status)
  }

  /** Stops checking a container about to be stopped or restarted; until it is looked at
   * again it counts as starting. */
  pause(containerId: string): void {
    this.watcher.unwatch(containerId)
    const e = this.entries.get(containerId)
    if (e) {
      e.assumeHealthy = false
      e.adoptedSince = undefined
    }
  }

  close(): void {
    this.watcher.close()
    this.entries.clear()
  }

  private forget(containerId: string): void {
    this.watcher.unwatch(containerId)
    this.entries.delete(containerId)
  }

  private entryFor(mk: string, c: ContainerDetail, adopted: InstanceMemo['adopted']): Entry {
    const mine = adopted?.containerId === c.id ? adopted : undefined
    const before = c.startedAt !== undefined && c.startedAt < this.since
    // A port SkyDNS pointed at is published by one container only: this one, if it runs since before.
    const served = (adopted?.dnsPorts ?? []).some(p => Object.values(c.hostPorts).includes(p) || c.networkMode === 'host')
    const since = mine?.health === 'healthy' && mine.healthySince ? Date.parse(mine.healthySince) : NaN
    return {
      mk,
      ...(c.startedAt !== undefined ? { startedAt: c.startedAt } : {}),
      assumeHealthy: before && served,
      ...(Number.isNaN(since) ? {} : { adoptedSince: since }),
    }
  }
}
