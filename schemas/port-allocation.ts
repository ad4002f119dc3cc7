// Stable proxy ports: one per (app, service), allocated once cluster-wide so every
// host's ambassador listens on the same port and SERVICE_X_PORT stays true when
// containers move. Allocation is a single etcd transaction over two keys — the
// service's port and the port's owner — so two allocators can never hand out one port.
import type { Etcd3 } from 'etcd3'
import type { KeyLayout } from './keys.js'

export interface PortRange { from: number; to: number }
export const DEFAULT_PORT_RANGE: PortRange = { from: 20000, to: 20999 }

export class PortRangeExhaustedError extends Error {
  readonly code = 'PORT_RANGE_EXHAUSTED'
  constructor(range: PortRange) {
    super(`no free proxy port left in ${range.from}-${range.to}; widen --port-range`)
  }
}

function ownerKey(keys: KeyLayout, port: number): string {
  return `${keys.prefix}/ports-owner/${port}`
}

/** Returns the service's port, allocating the lowest free one in `range` if it has none. */
export async function allocateServicePort(
  client: Etcd3, keys: KeyLayout, app: string, service: string, range: PortRange = DEFAULT_PORT_RANGE,
): Promise<number> {
  const key = keys.port(app, service)
  for (let attempt = 0; attempt < 20; attempt++) {
    const existing = await client.get(key).string()
    if (existing) return Number(existing)
    const taken = new Set((await client.getAll().prefix(keys.portsRoot).strings().then(Object.values)).map(Number))
    let port = range.from
    while (port <= range.to && taken.has(port)) port++
    if (port > range.to) throw new PortRangeExhaustedError(range)
    const owner = ownerKey(keys, port)
    const result = await client.if(key, 'Create', '==', 0).and(owner, 'Create', '==', 0)
      .then(client.put(key).value(String(port)), client.put(owner).value(`${app}/${service}`))
      .commit()
    if (result.succeeded) return port
    // Lost a race: someone allocated this service or took this port. Look again.
  }
  throw new Error(`could not allocate a port for ${app}/${service} after 20 attempts (etcd contention)`)
}

/** Reads every allocated port: "app/service" -> port. */
export async function listServicePorts(client: Etcd3, keys: KeyLayout): Promise<Map<string, number>> {
  const all = await client.getAll().prefix(keys.portsRoot).strings()
  const ports = new Map<string, number>()
  for (const [k, v] of Object.entries(all)) {
    const ref = keys.parsePort(k)
    if (ref) ports.set(`${ref.app}/${ref.service}`, Number(v))
  }
  return ports
}
