// The ambassador's share of port allocation: a service that has instances but no
// stable proxy port yet gets one, through schemas' single-transaction allocator (the
// conductor allocates the same way when a manifest links to a service, so whichever
// comes first wins and both see one port).
import type { Etcd3 } from 'etcd3'
import type { Logger } from 'pino'
import type { KeyLayout, PortRange } from '../schemas/index.js'
import { allocateServicePort } from '../kit/port-allocation.js'
import type { ServiceTable } from './service-table.js'
import { serviceId } from './service-table.js'

export class PortAllocator {
  private readonly inFlight = new Set<string>()

  constructor(private readonly client: Etcd3, private readonly keys: KeyLayout, private readonly range: PortRange, private readonly log: Logger) {}

  /** Allocate for every service of `table` lacking a port. The watch brings the result back. */
  allocateMissing(table: ServiceTable): void {
    for (const e of table.unallocated()) {
      const id = serviceId(e.app, e.service)
      if (this.inFlight.has(id)) continue
      this.inFlight.add(id)
      allocateServicePort(this.client, this.keys, e.app, e.service, this.range)
        .then((port) => this.log.info({ service: `${e.app}/${e.service}`, port }, 'service port allocated'))
        .catch((err: Error) => this.log.error({ service: `${e.app}/${e.service}`, code: (err as { code?: string }).code }, `cannot allocate a proxy port: ${err.message}`))
        .finally(() => this.inFlight.delete(id))
    }
  }
}
