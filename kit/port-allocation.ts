// Claims a stable proxy port for a service in one etcd transaction over two keys — the
// service's port and the port's owner — so two allocators can never hand out one port.
// Which port is free is schemas' pure rule (pickFreePort); the reads are paged.
import type { Etcd3 } from 'etcd3'
import { DEFAULT_PORT_RANGE, parsePortValue, pickFreePort, type KeyLayout, type PortRange } from '../schemas/index.js'
import { loadPrefix } from './paged-load.js'

/** Returns the service's port, allocating the lowest free one in `range` if it has none. */
export async function allocateServicePort(
  client: Etcd3, keys: KeyLayout, app: string, service: string, range: PortRange = DEFAULT_PORT_RANGE,
): Promise<number> {
  const key = keys.port(app, service)
  for (let attempt = 0; attempt < 20; attempt++) {
    const existing = await client.get(key).string()
    if (existing !== null) {
      const port = parsePortValue(existing)
      if (port === undefined) throw new Error(`${key} holds "${existing.slice(0, 40)}", not a port; delete the key to have a port allocated again`)
      return port
    }
    const port = pickFreePort(new Set((await listServicePorts(client, keys)).values()), range)
    const result = await client.if(key, 'Create', '==', 0).and(keys.portOwner(port), 'Create', '==', 0)
      .then(client.put(key).value(String(port)), client.put(keys.portOwner(port)).value(`${app}/${service}`))
      .commit()
    if (result.succeeded) return port
    // Lost a race: someone allocated this service or took this port. Look again.
  }
  throw new Error(`could not allocate a port for ${app}/${service} after 20 attempts (etcd contention)`)
}

/** Every allocated port: "app/service" -> port. Keys or values that are not ours are skipped. */
export async function listServicePorts(client: Etcd3, keys: KeyLayout): Promise<Map<string, number>> {
  const ports = new Map<string, number>()
  for (const kv of (await loadPrefix(client, keys.portsRoot)).kvs) {
    const ref = keys.parsePort(kv.key.toString())
    const port = parsePortValue(kv.value.toString())
    if (ref && port !== undefined) ports.set(`${ref.app}/${ref.service}`, port)
  }
  return ports
}
