// The scheduler's share of a test that runs no scheduler: claims a stable proxy port for
// a service the way the scheduler's plan write does (schemas' pickFreePort, then one etcd
// transaction over the service's port and the port's owner, so two claims never share a
// port). Tests of the conductor and the ambassador alone use it where a scheduler would
// have written /ports; in production only the scheduler writes there.
import type { Etcd3 } from 'etcd3'
import { DEFAULT_PORT_RANGE, parseLink, parsePortValue, pickFreePort, type KeyLayout, type PortRange } from '../../schemas/index.js'
import { loadPrefix } from '../../kit/paged-load.js'

/** The stable port of each link (as written) of a manifest of `app`, claimed when missing: an assignment's linkPorts. */
export async function linkPortsFor(client: Etcd3, keys: KeyLayout, app: string, links: readonly string[] | undefined): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const link of links ?? []) {
    const target = parseLink(link, app)
    out[link] = await allocateServicePort(client, keys, target.app, target.service)
  }
  return out
}

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
