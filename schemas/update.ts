// Rolling updates: how a changed spec replaces the running instances. Resolved from the
// manifest's `update` with defaults close to Swarm mode's, except that start-first is the
// default (a new instance is up and healthy before an old one stops). Pure.
import { parseDuration } from './duration.js'
import type { UpdateSpec } from './manifest.js'

export interface ResolvedUpdate {
  order: 'start-first' | 'stop-first'
  /** Instances replaced at once. */
  parallelism: number
  /** Wait between one batch settling and the next starting. */
  delayMs: number
  /** How long a new instance must stay healthy before it counts as good. */
  monitorMs: number
  failureAction: 'rollback' | 'pause'
}

export const UPDATE_DEFAULTS: ResolvedUpdate = { order: 'start-first', parallelism: 1, delayMs: 0, monitorMs: 5_000, failureAction: 'rollback' }

/** `stopFirst`: the spec cannot run twice at once (a writable volume, volumes.ts needsStopFirst),
 * whatever `order` says. */
export function resolveUpdate(u: UpdateSpec | undefined, o: { stopFirst?: boolean } = {}): ResolvedUpdate {
  return {
    order: o.stopFirst ? 'stop-first' : u?.order ?? UPDATE_DEFAULTS.order,
    parallelism: u?.parallelism ?? UPDATE_DEFAULTS.parallelism,
    delayMs: (u?.delay !== undefined ? parseDuration(u.delay) : undefined) ?? UPDATE_DEFAULTS.delayMs,
    monitorMs: (u?.monitor !== undefined ? parseDuration(u.monitor) : undefined) ?? UPDATE_DEFAULTS.monitorMs,
    failureAction: u?.failureAction ?? UPDATE_DEFAULTS.failureAction,
  }
}

/** The graceful stop's grace period (ms) of a spec: stopGracePeriod, else dockerflags.StopTimeout, else 10 s. */
export function stopGraceMs(spec: { stopGracePeriod?: string; dockerflags?: { StopTimeout?: number } }): number {
  if (spec.stopGracePeriod !== undefined) return parseDuration(spec.stopGracePeriod) ?? 10_000
  if (spec.dockerflags?.StopTimeout !== undefined) return spec.dockerflags.StopTimeout * 1000
  return 10_000
}
