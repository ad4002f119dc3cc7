// The stable proxy port of a linked service, as the container's SERVICE_<X>_PORT. The
// allocation itself is the shared one (kit/port-allocation.ts); what comes back is
// whatever /ports/<app>/<service> holds, and junk written there straight ("abc", "-1",
// "99999") must fail this one create with a reason instead of becoming SERVICE_X_PORT=NaN.
import type { Etcd3 } from 'etcd3'
import type { KeyLayout, PortRange } from '../schemas/index.js'
import { allocateServicePort } from '../kit/port-allocation.js'
import { ConductorError } from './errors.js'

export async function linkPort(client: Etcd3, keys: KeyLayout, app: string, service: string, range: PortRange): Promise<number> {
  const port = await allocateServicePort(client, keys, app, service, range)
  if (!isPort(port)) {
    throw new ConductorError('BAD_RECORD', `the stable port of service ${service} of app ${app} (${keys.port(app, service)}) is not a port number; delete the key to have a new one allocated`)
  }
  return port
}

export function isPort(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535
}
