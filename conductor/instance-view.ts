// Which container speaks for an instance when the engine has several of it (a start-first
// replacement, a duplicate, one being retired): the one its record describes, and the one
// SkyDNS points at. During a start-first replacement they differ: the record describes the
// new container (the scheduler judges the rollout by it) while the old one still serves.
// Pure.
import { LABELS } from '../schemas/index.js'
import type { ContainerDetail } from './docker-engine.js'
import type { HealthVerdict } from './health/health-monitor.js'
import { isReady } from './model.js'

export interface InstanceView {
  /** What the instance record describes: preferably a container on the assigned spec. */
  record?: ContainerDetail
  /** The record's container is on the assigned spec. */
  current: boolean
  /** Its health check's verdict; absent without a check. */
  health?: HealthVerdict
  /** What SkyDNS points at: running, healthy or without a check, not withdrawn. */
  serving?: ContainerDetail
}

export interface ViewFacts {
  /** The spec hash assigned to an instance (by refKey); undefined when it is not assigned here. */
  specHash(rk: string): string | undefined
  /** A container's health verdict; undefined: it has no check (or does not run). */
  health(id: string): HealthVerdict | undefined
  /** A graceful step has withdrawn it: it serves no more. */
  withdrawn(id: string): boolean
}

export function instanceRefKey(c: ContainerDetail): string {
  return `${c.labels[LABELS.app]}/${c.labels[LABELS.name]}/${c.labels[LABELS.instance]}`
}

/** refKey -> the instance's view, for every instance with a container in `details`. */
export function instanceViews(details: readonly ContainerDetail[], facts: ViewFacts): Map<string, InstanceView> {
  const byRef = new Map<string, ContainerDetail[]>()
  for (const c of details) byRef.set(instanceRefKey(c), [...byRef.get(instanceRefKey(c)) ?? [], c])
  const views = new Map<string, InstanceView>()
  for (const [rk, cs] of byRef) {
    const want = facts.specHash(rk)
    const current = (c: ContainerDetail) => want !== undefined && c.labels[LABELS.spec] === want
    const ready = (c: ContainerDetail) => !facts.withdrawn(c.id) && isReady({ state: c.state, health: facts.health(c.id)?.state })
    const up = (c: ContainerDetail) => c.state === 'running' || c.state === 'paused'
    const recordRank = (c: ContainerDetail) => [facts.withdrawn(c.id) ? 1 : 0, current(c) ? 0 : 1, ready(c) ? 0 : up(c) ? 1 : 2, c.createdAt]
    const record = first(cs, recordRank)!
    const serving = first(cs.filter(ready), c => [current(c) ? 0 : 1, c.createdAt])
    const health = facts.health(record.id)
    views.set(rk, { record, current: current(record), ...(health ? { health } : {}), ...(serving ? { serving } : {}) })
  }
  return views
}

/** The container whose rank (compared element by element, then by id) is lowest. */
function first(cs: readonly ContainerDetail[], rank: (c: ContainerDetail) => number[]): ContainerDetail | undefined {
  let best: ContainerDetail | undefined
  let bestRank: number[] = []
  for (const c of cs) {
    const r = rank(c)
    const cmp = compare(r, bestRank) || (best && c.id < best.id ? -1 : 1)
    if (!best || cmp < 0) {
      best = c
      bestRank = r
    }
  }
  return best
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return 0
}
