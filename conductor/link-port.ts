// The stable proxy port of a linked service, as the container's SERVICE_<X>_PORT. The
// allocation itself is the shared one (kit/port-allocation.ts); what comes back is
// whatever /ports/<app>/<service> holds, and junk written there straight ("abc", "-1",
// "99999") must fail this one create with a reason instead of becoming SERVICE_X_PORT=NaN.
import type { Etcd3 } from 'etcd3'
import type { KeyLayout, PortRange } from '../schemas/index.js'
import { allocateServicePort } from '../kit/port-allocation.js'
import { linkTarget } from './container-options.js'
import { ConductorError } from './errors.js'

export async function linkPort(client: Etcd3, keys: KeyLayout, app: string, service: string, range: PortRange): Promise<number> {
  const port = await allocateServicePort(client, keys, app, service, range)
  if (!isPort(port)) {
    throw new ConductorError('DKA_CONDUCTOR_BAD_RECORD', `the stable port of service ${service} of app ${app} (${keys.port(app, service)}) is not a port number; delete the key to have a new one allocated`)
  }
  return port
}

export function isPort(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535
}

/** The stable ports of an app's links, remembered once known (an allocation never changes). */
export class LinkPorts {
  private readonly known = new Map<string, number>()

  constructor(private readonly client: Etcd3, private readonly keys: KeyLayout, private readonly range: PortRange) {}

  /** link as written in the manifest ("db", "db.other") -> its stable port. */
  async of(app: string, links: readonly string[]): Promise<Record<string, number>> {
    const out: Record<string, number> = {}
    for (const link of links) {
      const target = linkTarget(app, link)
      const ck = `${target.app}/${target.service}`
      let port = this.known.get(ck)
      if (port === undefined) {
        port = await linkPort(this.client, this.keys, target.app, target.service, this.range)
        this.known.set(ck, port)
      }
      out[link] = port
    }
    return out
  }
}
