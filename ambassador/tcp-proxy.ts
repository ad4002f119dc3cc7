// The TCP proxy: for every allocated service port, a listener on each --proxy-listen
// address. A connection goes to the service's backends round-robin; a refused or
// timed-out connect moves on to the next one; with none left the client is reset at
// once, so callers see the failure immediately instead of hanging. Each direction is
// closed on its own (half-close), and a connection lives on when the table changes
// under it: only new connections see the new backends.
import { createServer, connect, type Server, type Socket } from 'node:net'
import type { Logger } from 'pino'
import { Balancer, backendKey } from './balancer.js'
import { bindError } from './errors.js'
import { serviceId, type Backend, type ServiceTable } from './service-table.js'

export interface TcpProxyOptions {
  addresses: string[]
  table: () => ServiceTable
  balancer: Balancer
  log: Logger
  connectTimeoutMs?: number
}

interface PortListeners { servers: Server[]; failed: string[] }

export class TcpProxy {
  private readonly listeners = new Map<number, PortListeners>()
  private readonly connectTimeoutMs: number
  private syncing: Promise<void> = Promise.resolve()
  /** Every open client and backend socket, so shutdown can end them. */
  private readonly open = new Set<Socket>()
  private closed = false

  constructor(private readonly opts: TcpProxyOptions) {
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 3000
  }

  /** Ports being listened on (on every address that could be bound). */
  get ports(): number[] { return [...this.listeners.keys()].sort((a, b) => a - b) }

  /** Open and close listeners to match the table's allocated ports. Serialized. */
  sync(table: ServiceTable): Promise<void> {
    this.syncing = this.syncing.then(() => this.doSync(table)).catch((err) => this.opts.log.error({ err }, 'proxy listener sync failed'))
    return this.syncing
  }

  private async doSync(table: ServiceTable): Promise<void> {
    if (this.closed) return
    for (const [port, l] of this.listeners) {
      if (!table.byPort.has(port)) {
        this.listeners.delete(port)
        // Stop accepting; connections already open run on until their peers close them.
        for (const server of l.servers) server.close()
        this.opts.log.info({ port }, 'service port gone: proxy listener closed')
      }
    }
    for (const [port, entry] of table.byPort) {
      const have = this.listeners.get(port)
      // Addresses that failed to bind last time (port held by someone else) are retried.
      const want = have ? have.failed : this.opts.addresses
      if (have && want.length === 0) continue
      const l: PortListeners = have ?? { servers: [], failed: [] }
      this.listeners.set(port, l)
      const failed: string[] = []
      for (const address of want) {
        try {
          l.servers.push(await this.listen(address, port))
        } catch (err) {
          failed.push(address)
          this.opts.log.error({ service: `${entry.app}/${entry.service}` }, (err as Error).message)
        }
      }
      l.failed = failed
      if (!have) this.opts.log.info({ port, service: `${entry.app}/${entry.service}`, addresses: this.opts.addresses }, 'proxy listening')
    }
  }

  private listen(address: string, port: number): Promise<Server> {
    const server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => this.accept(client, port))
    return new Promise((resolve, reject) => {
      server.once('error', (err) => reject(bindError(err, address, port, '--proxy-listen/--port-range', 'the service proxy')))
      server.listen({ port, host: address, exclusive: true }, () => {
        server.removeAllListeners('error')
        server.on('error', (err) => this.opts.log.error({ err, port, address }, 'proxy listener error'))
        resolve(server)
      })
    })
  }

  private track(s: Socket): void {
    this.open.add(s)
    s.once('close', () => this.open.delete(s))
  }

  private accept(client: Socket, port: number): void {
    client.on('error', () => undefined) // a client reset is its own business; cleanup follows 'close'
    this.track(client)
    const entry = this.opts.table().byPort.get(port)
    const backends = entry?.backends ?? []
    if (!entry || backends.length === 0) {
      client.resetAndDestroy()
      return
    }
    const order = this.opts.balancer.order(serviceId(entry.app, entry.service), backends)
    this.tryBackend(client, order, 0, `${entry.app}/${entry.service}`)
  }

  private tryBackend(client: Socket, order: Backend[], i: number, service: string): void {
    if (client.destroyed) return
    const b = order[i]
    if (!b) {
      this.opts.log.warn({ service, tried: order.map(backendKey) }, 'no backend accepted the connection: client reset')
      client.resetAndDestroy()
      return
    }
    const upstream = connect({ host: b.host, port: b.port, allowHalfOpen: true, noDelay: true })
    this.track(upstream)
    let connected = false
    const timer = setTimeout(() => upstream.destroy(new Error('connect timeout')), this.connectTimeoutMs)
    const abandon = (): void => { if (!connected) upstream.destroy() }
    client.once('close', abandon)
    upstream.once('connect', () => {
      connected = true
      clearTimeout(timer)
      client.off('close', abandon)
      this.opts.balancer.succeeded(b)
      splice(client, upstream)
    })
    upstream.once('error', (err) => {
      if (connected) return
      clearTimeout(timer)
      client.off('close', abandon)
      this.opts.balancer.failed(b)
      this.opts.log.debug({ service, backend: backendKey(b), err: err.message }, 'backend connect failed; trying the next')
      this.tryBackend(client, order, i + 1, service)
    })
  }

  async close(): Promise<void> {
    this.closed = true
    await this.syncing
    const all = [...this.listeners.values()].flatMap((l) => l.servers)
    this.listeners.clear()
    const closing = all.map(closeServer)
    // server.close() waits for every open connection; shutdown ends them instead.
    for (const s of this.open) s.destroy()
    await Promise.all(closing)
  }
}

/** Pipe two sockets both ways, passing each side's FIN on separately and a reset through. */
export function splice(a: Socket, b: Socket): void {
  forward(a, b)
  forward(b, a)
  const onError = (other: Socket) => (): void => { if (!other.destroyed) other.resetAndDestroy() }
  a.on('error', onError(b))
  b.on('error', onError(a))
  // Both ends done: free the pair even when a peer never closes its side.
  a.on('close', () => { if (!b.destroyed && b.writableEnded && b.readableEnded) b.destroy() })
  b.on('close', () => { if (!a.destroyed && a.writableEnded && a.readableEnded) a.destroy() })
}

/**
 * One direction of a spliced pair: what `from` reads is written to `to`, reading
 * pauses while `to` is backed up, and `from`'s FIN becomes `to`'s FIN. A lean
 * stand-in for stream.pipe(), which costs more per chunk on this hot path.
 */
function forward(from: Socket, to: Socket): void {
  const resume = (): void => { from.resume() }
  from.on('data', (chunk: Buffer) => {
    if (!to.write(chunk)) {
      from.pause()
      to.once('drain', resume)
    }
  })
  from.on('end', () => { if (!to.destroyed) to.end() })
}

function closeServer(s: Server): Promise<void> {
  return new Promise((resolve) => s.close(() => resolve()))
}
