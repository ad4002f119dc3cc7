// Round-robin over a service's live backends, shared by the TCP proxy and the web
// router. A backend that refused a connection is tried last for a short while, so one
// dead instance costs one failed connect per quarantine period, not one per request.
// No I/O; the clock is passed in.
import type { Backend } from './service-table.js'

export function backendKey(b: Pick<Backend, 'host' | 'port'>): string {
  return `${b.host}:${b.port}`
}

/** The backends in the order to try them: a rotation starting at `turn`, quarantined ones last. */
export function tryOrder<T>(backends: readonly T[], turn: number, quarantined: (b: T) => boolean): T[] {
  const n = backends.length
  if (n === 0) return []
  const start = ((turn % n) + n) % n
  const rotated = [...backends.slice(start), ...backends.slice(0, start)]
  return [...rotated.filter((b) => !quarantined(b)), ...rotated.filter(quarantined)]
}

export class Balancer {
  private readonly turns = new Map<string, number>()
  private readonly failedUntil = new Map<string, number>()

  constructor(private readonly clock: () => number = Date.now, private readonly quarantineMs = 2000) {}

  /** Backends of one service in the order this request should try them. */
  order(service: string, backends: readonly Backend[]): Backend[] {
    const turn = this.turns.get(service) ?? 0
    this.turns.set(service, (turn + 1) % 1_000_000_007)
    const now = this.clock()
    return tryOrder(backends, turn, (b) => (this.failedUntil.get(backendKey(b)) ?? 0) > now)
  }

  failed(b: Backend): void {
    this.failedUntil.set(backendKey(b), this.clock() + this.quarantineMs)
  }

  succeeded(b: Backend): void {
    if (this.failedUntil.size > 0) this.failedUntil.delete(backendKey(b))
  }

  /** Forget services and backends that are gone, so the maps stay as small as the table. */
  prune(liveServices: ReadonlySet<string>, liveBackends: ReadonlySet<string>): void {
    for (const s of this.turns.keys()) if (!liveServices.has(s)) this.turns.delete(s)
    for (const b of this.failedUntil.keys()) if (!liveBackends.has(b)) this.failedUntil.delete(b)
  }
}
