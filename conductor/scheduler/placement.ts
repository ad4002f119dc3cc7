// Pure placement: which live host takes each new instance of one manifest.
// Rules, in order: a host must carry every constraint label with the same value, and
// have room for the instance's cpus/memory beside what is already assigned to it;
// among those, spread the manifest's own instances first (anti-affinity: one per host
// while hosts last), then the cluster's instances (fewest assigned first), then the
// host id, so the same input always gives the same answer.
import type { HostRecord } from '../../schemas/index.js'
import { formatCpus, formatMemory, type Need } from './resources.js'

export interface HostLoad {
  /** Instances assigned to the host, all manifests together. */
  count: number
  cpus: number
  memory: number
  /** Instances per manifest ("app/name"). */
  perManifest: ReadonlyMap<string, number>
}

export type Load = ReadonlyMap<string, HostLoad>

export interface PlacementRequest {
  /** "app/name" of the manifest the instances belong to. */
  manifest: string
  need: Need
  constraints: Readonly<Record<string, string>>
}

export type Placement =
  | { index: number; host: string }
  | { index: number; unschedulable: string }

const EMPTY: HostLoad = { count: 0, cpus: 0, memory: 0, perManifest: new Map() }
// cpus are fractions: 0.1 + 0.2 must fit in 0.3.
const EPSILON = 1e-9

export function hostLoad(load: Load, host: string): HostLoad {
  return load.get(host) ?? EMPTY
}

/** The load with one instance more (sign 1) or less (sign -1) on `host`. */
export function shiftLoad(load: Load, host: string, manifest: string, need: Need, sign: 1 | -1): Load {
  const before = hostLoad(load, host)
  const perManifest = new Map(before.perManifest)
  const mine = (perManifest.get(manifest) ?? 0) + sign
  if (mine > 0) perManifest.set(manifest, mine)
  else perManifest.delete(manifest)
  const next = new Map(load)
  next.set(host, {
    count: before.count + sign,
    cpus: before.cpus + sign * need.cpus,
    memory: before.memory + sign * need.memory,
    perManifest,
  })
  return next
}

export function matchesConstraints(host: HostRecord, constraints: Readonly<Record<string, string>>): boolean {
  return Object.entries(constraints).every(([k, v]) => host.labels?.[k] === v)
}

/** A host that reports no cpus or memory (0) is not limited by it. */
export function capacity(host: HostRecord): Need {
  return {
    cpus: host.cpus > 0 ? host.cpus : Infinity,
    memory: host.memory > 0 ? host.memory : Infinity,
  }
}

export function free(host: HostRecord, load: Load): Need {
  const cap = capacity(host)
  const used = hostLoad(load, host.id)
  return { cpus: cap.cpus - used.cpus, memory: cap.memory - used.memory }
}

export function fits(host: HostRecord, load: Load, need: Need): boolean {
  const room = free(host, load)
  return (need.cpus === 0 || need.cpus <= room.cpus + EPSILON)
    && (need.memory === 0 || need.memory <= room.memory)
}

/**
 * Places `indexes` (instances of `request.manifest`) one after another, each on the best
 * host given the load so far, and returns the placements and the load they leave.
 */
export function place(
  indexes: readonly number[],
  hosts: readonly HostRecord[],
  load: Load,
  request: PlacementRequest,
): { placements: Placement[]; load: Load } {
  const eligible = hosts.filter(h => matchesConstraints(h, request.constraints))
  const placements: Placement[] = []
  let current = load
  for (const index of indexes) {
    const candidates = eligible.filter(h => fits(h, current, request.need))
    if (candidates.length === 0) {
      placements.push({ index, unschedulable: whyNot(hosts, eligible, current, request) })
      continue
    }
    const best = candidates.reduce((a, b) => (better(b, a, current, request.manifest) ? b : a))
    placements.push({ index, host: best.id })
    current = shiftLoad(current, best.id, request.manifest, request.need, 1)
  }
  return { placements, load: current }
}

function better(a: HostRecord, b: HostRecord, load: Load, manifest: string): boolean {
  const la = hostLoad(load, a.id)
  const lb = hostLoad(load, b.id)
  const sa = la.perManifest.get(manifest) ?? 0
  const sb = lb.perManifest.get(manifest) ?? 0
  if (sa !== sb) return sa < sb
  if (la.count !== lb.count) return la.count < lb.count
  return a.id < b.id
}

/** A sentence saying why no host can take the instance: what a user must change. */
export function whyNot(hosts: readonly HostRecord[], eligible: readonly HostRecord[], load: Load, request: PlacementRequest): string {
  if (hosts.length === 0) return 'no live host'
  const labels = labelsOf(request.constraints)
  if (eligible.length === 0) return `no live host has the labels ${labels}`
  const roomiest = [...eligible]
    .sort((a, b) => free(b, load).cpus - free(a, load).cpus || free(b, load).memory - free(a, load).memory)
    .slice(0, 3)
    .map(h => roomOf(h, load))
  return `no ${labels ? `host with ${labels}` : 'host'} has room for ${wantedOf(request.need)} (${roomiest.join('; ')})`
}

/** "zone=eu, disk=ssd". */
export function labelsOf(constraints: Readonly<Record<string, string>>): string {
  return Object.entries(constraints).map(([k, v]) => `${k}=${v}`).join(', ')
}

/** "1 cpus and 512m memory": what an instance asks for. */
export function wantedOf(need: Need): string {
  return [
    need.cpus > 0 ? `${formatCpus(need.cpus)} cpus` : '',
    need.memory > 0 ? `${formatMemory(need.memory)} memory` : '',
  ].filter(Boolean).join(' and ')
}

/** "h1 has 0.5 cpus and 2g free". */
export function roomOf(host: HostRecord, load: Load): string {
  const room = free(host, load)
  return `${host.id} has ${formatCpus(room.cpus)} cpus and ${formatMemory(room.memory)} free`
}
