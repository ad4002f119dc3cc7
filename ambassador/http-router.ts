// The web router: one public HTTP port in front of every service with role "web".
// The Host header picks the app (<app>.<domain>) or one service
// (<service>.<app>.<domain>); requests go to its instances round-robin over kept-alive
// backend connections; WebSocket and other upgrades are spliced through as raw sockets.
// With --web-tls-listen the same routing also answers on HTTPS ports (web-tls.ts: a
// certificate per name by SNI), and the plain port first answers ACME challenges and
// redirects names that have a certificate.
import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { connect, type Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { backendKey, type Balancer } from './balancer.js'
import { bindError } from './errors.js'
import { endToEnd, forwardedRequestHeaders } from './forwarded-headers.js'
import { formatEndpoint, type Endpoint } from './listen-address.js'
import { badGatewayPage, noBackendPage, notFoundPage, renderPage, type RouterPage } from './router-pages.js'
import type { Backend, ServiceTable } from './service-table.js'
import { splice } from './tcp-proxy.js'
import type { TlsStore } from './tls-store.js'
import { answerPlainHttp, createTlsServer } from './web-tls.js'

/** How long a kept-alive client connection may sit idle before the router closes it. */
export const KEEP_ALIVE_IDLE_MS = 65_000

export interface HttpRouterOptions {
  endpoints: Endpoint[]
  domain: string
  table: () => ServiceTable
  balancer: Balancer
  log: Logger
  connectTimeoutMs?: number
  /**
   * HTTPS (--web-tls-listen) with the store's certificates by SNI; and on the plain
   * listener, ACME challenges answered and names with a certificate redirected. Endpoints
   * may be empty: challenges are answered all the same.
   */
  tls?: { endpoints: Endpoint[]; store: TlsStore }
}

export interface RunningHttpRouter { close(): Promise<void> }

type Route = { kind: 'page'; page: RouterPage } | { kind: 'backends'; host: string; order: Backend[] }

export async function startHttpRouter(opts: HttpRouterOptions): Promise<RunningHttpRouter> {
  const agent = new Agent({ keepAlive: true, maxFreeSockets: 64 })
  const connectTimeoutMs = opts.connectTimeoutMs ?? 3000

  const route = (req: IncomingMessage): Route => {
    const host = req.headers.host?.toLowerCase()
    const backends = host ? opts.table().webBackends(host, opts.domain) : undefined
    if (!host || !backends) return { kind: 'page', page: notFoundPage(req.headers.host, opts.domain) }
    if (backends.length === 0) return { kind: 'page', page: noBackendPage(host) }
    return { kind: 'backends', host, order: opts.balancer.order(`web:${host.replace(/:\d+$/, '')}`, backends) }
  }

  const sendPage = (res: ServerResponse, req: IncomingMessage, page: RouterPage): void => {
    const { contentType, body } = renderPage(page, req.headers.accept)
    res.writeHead(page.status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' })
    res.end(req.method === 'HEAD' ? undefined : body)
  }

  const httpsPort = opts.tls?.endpoints[0]?.port
  const secure = (req: IncomingMessage): boolean => (req.socket as Partial<TLSSocket>).encrypted === true

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (opts.tls && !secure(req) && answerPlainHttp(req, res, opts.tls.store, httpsPort)) return
    const r = route(req)
    if (r.kind === 'page') { req.resume(); sendPage(res, req, r.page); return }
    // Only a request without a body can be sent again to the next backend.
    const bodyless = !req.headers['transfer-encoding'] && (req.headers['content-length'] ?? '0') === '0'
    const headers = forwardedRequestHeaders(req.headers, req.socket.remoteAddress, false, secure(req) ? 'https' : 'http')
    const attempt = (i: number): void => {
      const b = r.order[i]
      if (!b) { sendPage(res, req, badGatewayPage(r.host, r.order.length)); return }
      const out = httpRequest({ host: b.host, port: b.port, method: req.method, path: req.url, headers, agent })
      let answered = false
      out.on('socket', (s: Socket) => {
        if (!s.connecting) return
        const t = setTimeout(() => out.destroy(new Error('connect timeout')), connectTimeoutMs)
        s.once('connect', () => clearTimeout(t))
        s.once('close', () => clearTimeout(t))
      })
      out.on('response', (up) => {
        answered = true
        opts.balancer.succeeded(b)
        res.writeHead(up.statusCode ?? 502, up.statusMessage, endToEnd(up.headers))
        up.pipe(res)
        up.on('error', () => res.destroy())
      })
      out.on('error', (err) => {
        if (answered || res.headersSent) { res.destroy(); return }
        // A kept-alive connection the backend had already closed: not the backend's
        // fault; go again on a fresh connection (reusedSocket is false then, so this ends).
        if (out.reusedSocket && bodyless) { attempt(i); return }
        opts.balancer.failed(b)
        opts.log.debug({ host: r.host, backend: backendKey(b), err: err.message }, 'web backend failed')
        if (bodyless) attempt(i + 1)
        else sendPage(res, req, badGatewayPage(r.host, i + 1))
      })
      res.on('close', () => { if (!res.writableFinished) out.destroy() })
      if (bodyless) out.end()
      else req.pipe(out)
    }
    attempt(0)
  }

  // Upgraded sockets leave the http server's bookkeeping (closeAllConnections misses
  // them), so the router keeps its own list to end them at shutdown.
  const upgraded = new Set<Socket>()
  const track = (s: Socket): void => { upgraded.add(s); s.once('close', () => upgraded.delete(s)) }

  const onUpgrade = (req: IncomingMessage, client: Duplex, head: Buffer): void => {
    const socket = client as Socket
    socket.on('error', () => undefined)
    track(socket)
    const r = route(req)
    const refuse = (page: RouterPage): void => {
      const { contentType, body } = renderPage(page, req.headers.accept)
      socket.end(`HTTP/1.1 ${page.status} ${page.title}\r\ncontent-type: ${contentType}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`)
    }
    if (r.kind === 'page') { refuse(r.page); return }
    const headers = forwardedRequestHeaders(req.headers, socket.remoteAddress, true, secure(req) ? 'https' : 'http')
    const lines = [`${req.method} ${req.url} HTTP/1.1`]
    for (const [k, v] of Object.entries(headers)) for (const one of [v].flat()) lines.push(`${k}: ${one}`)
    const preamble = `${lines.join('\r\n')}\r\n\r\n`
    const attempt = (i: number): void => {
      const b = r.order[i]
      if (!b) { refuse(badGatewayPage(r.host, r.order.length)); return }
      const up = connect({ host: b.host, port: b.port, allowHalfOpen: true, noDelay: true })
      track(up)
      const t = setTimeout(() => up.destroy(new Error('connect timeout')), connectTimeoutMs)
      up.once('error', (err) => {
        clearTimeout(t)
        opts.balancer.failed(b)
        opts.log.debug({ host: r.host, backend: backendKey(b), err: err.message }, 'upgrade backend failed')
        attempt(i + 1)
      })
      up.once('connect', () => {
        clearTimeout(t)
        up.removeAllListeners('error')
        opts.balancer.succeeded(b)
        up.write(preamble)
        if (head.length > 0) up.write(head)
        splice(socket, up)
      })
    }
    attempt(0)
  }

  const servers: Server[] = []
  const close = async (): Promise<void> => {
    const closing = servers.map((s) => new Promise<void>((resolve) => { s.close(() => resolve()); s.closeAllConnections() }))
    for (const s of upgraded) s.destroy()
    await Promise.all(closing)
    agent.destroy()
  }
  // Kept-alive client connections stay open 65 s idle (Node's default is 5 s): a server
  // that closes an idle connection races the client's next request on it, which the
  // client sees as a reset; the shorter the timeout, the more often a client that was
  // briefly busy elsewhere loses that race (measured: 1 reset in ~4,000 requests during
  // a rollout). 65 s, like a cloud load balancer's 60 s plus a margin; nginx keeps 75 s.
  const serverOptions = { keepAlive: true, keepAliveTimeout: KEEP_ALIVE_IDLE_MS, headersTimeout: KEEP_ALIVE_IDLE_MS + 1_000 }
  const listen = async (e: Endpoint, server: Server, flag: string, what: string): Promise<void> => {
    server.on('upgrade', onUpgrade)
    server.on('clientError', (_err, socket) => { if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n'); else socket.destroy() })
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(bindError(err, e.address, e.port, flag, `the ${what}`)))
      server.listen({ port: e.port, host: e.address, exclusive: true }, () => { server.removeAllListeners('error'); resolve() })
    })
    servers.push(server)
    opts.log.info({ address: formatEndpoint(e) }, `${what} listening`)
  }
  try {
    for (const e of opts.endpoints) await listen(e, createServer(serverOptions, onRequest), '--web-listen', 'web router')
    for (const e of opts.tls?.endpoints ?? []) await listen(e, createTlsServer(serverOptions, opts.tls!.store, onRequest, opts.log), '--web-tls-listen', 'web router (HTTPS)')
  } catch (err) {
    await close()
    throw err
  }
  return { close }
}
