// Stable proxy ports: one per (app, service), allocated once cluster-wide so every
// host's ambassador listens on the same port and SERVICE_X_PORT stays true when
// containers move. The scheduler is the only writer of /ports: it allocates inside its
// leader-guarded plan write and carries each link's port in the assignment. This file
// is the pure rule (which port is free, which link gets which port).
import { parseLink } from './links.js'

export interface PortRange { from: number; to: number }
export const DEFAULT_PORT_RANGE: PortRange = { from: 20000, to: 20999 }

export class PortRangeExhaustedError extends Error {
  readonly code = 'PORT_RANGE_EXHAUSTED'
  constructor(range: PortRange) {
    super(`no free proxy port left in ${range.from}-${range.to}; widen --port-range`)
  }
}

/** The lowest port of `range` not in `taken`; throws PortRangeExhaustedError when none is left. */
export function pickFreePort(taken: ReadonlySet<number>, range: PortRange): number {
  for (let port = range.from; port <= range.to; port++) if (!taken.has(port)) return port
  throw new PortRangeExhaustedError(range)
}

/** A stored port value, or undefined when it is not a port (junk written by hand). */
export function parsePortValue(value: string): number | undefined {
  if (!/^\d{1,5}$/.test(value.trim())) return undefined
  const port = Number(value)
  return port >= 1 && port <= 65535 ? port : undefined
}

/** "app/service", the id of a service across the cluster. */
export function serviceKey(app: string, service: string): string {
  return `${app}/${service}`
}

export interface PortAllocation { app: string; service: string; port: number }

export interface AllocatedPorts {
  /** New allocations, in the order of `needed`. */
  allocated: PortAllocation[]
  /** Services still without a port: the range is full. */
  exhausted: string[]
}

/**
 * Ports for every service of `needed` ("app/service") that has none in `known`, each
 * the lowest free one of `range` given `taken` (every port held by anyone, including
 * owner keys whose service key is junk). Deterministic: the same input, the same ports.
 */
export function allocatePorts(
  needed: Iterable<string>, known: ReadonlyMap<string, number>, taken: ReadonlySet<number>, range: PortRange,
): AllocatedPorts {
  const used = new Set(taken)
  const out: AllocatedPorts = { allocated: [], exhausted: [] }
  for (const id of [...new Set(needed)].sort()) {
    if (known.has(id)) continue
    const slash = id.indexOf('/')
    let port: number
    try {
      port = pickFreePort(used, range)
    } catch {
      out.exhausted.push(id)
      continue
    }
    used.add(port)
    out.allocated.push({ app: id.slice(0, slash), service: id.slice(slash + 1), port })
  }
  return out
}

/** The stable port of each link (as written) of a manifest of `app`; links without a port yet are left out. */
export function linkPortsOf(app: string, links: readonly string[] | undefined, ports: ReadonlyMap<string, number>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const link of links ?? []) {
    const target = parseLink(link, app)
    const port = ports.get(serviceKey(target.app, target.service))
    if (port !== undefined) out[link] = port
  }
  return out
}
