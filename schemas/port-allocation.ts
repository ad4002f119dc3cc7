// Stable proxy ports: one per (app, service), allocated once cluster-wide so every
// host's ambassador listens on the same port and SERVICE_X_PORT stays true when
// containers move. This file is the pure rule (which port is free); the etcd
// transaction that claims one lives in kit/port-allocation.ts.

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
