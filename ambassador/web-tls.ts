// The web router's TLS side: the HTTPS server (a certificate per name, chosen at each
// handshake from the TLS store by SNI), and what the plain-HTTP listener answers before it
// routes — ACME HTTP-01 challenges from etcd, and a 308 to https:// for names that have a
// certificate. A name without a certificate fails the handshake: there is no certificate
// the client could accept, so a page behind a warning would only teach users to click
// through warnings.
import { createServer as createHttpsServer, type ServerOptions } from 'node:https'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import { isChallengeToken } from '../schemas/index.js'
import { plainHttpAction } from './tls-routing.js'
import type { TlsStore } from './tls-store.js'

/** An HTTPS server whose certificate is looked up per handshake: a renewed one is served from the next handshake on. */
export function createTlsServer(options: ServerOptions, store: TlsStore, onRequest: (req: IncomingMessage, res: ServerResponse) => void, log: Logger): Server {
  const server = createHttpsServer({
    ...options,
    SNICallback: (servername, cb) => {
      const context = store.context(servername)
      if (context) { cb(null, context); return }
      log.debug({ servername: servername.slice(0, 253) }, 'TLS handshake for a name without a certificate refused')
      cb(new Error(`no certificate for ${servername.slice(0, 253)}`))
    },
  }, onRequest)
  // A failed handshake (no SNI, no certificate for the name, a client that gave up) is the
  // client's business; the TLS socket is destroyed by Node.
  server.on('tlsClientError', (err) => log.debug({ err: err.message }, 'TLS handshake failed'))
  return server as unknown as Server
}

/** Answers a challenge or redirects; false when the request is for the router to route. */
export function answerPlainHttp(req: IncomingMessage, res: ServerResponse, store: TlsStore, httpsPort: number | undefined): boolean {
  const action = plainHttpAction(req.headers.host, req.url ?? '/', (name) => store.hasCert(name), httpsPort)
  if (action.kind === 'route') return false
  req.resume()
  if (action.kind === 'redirect') {
    res.writeHead(308, { location: action.location, 'content-length': 0, 'cache-control': 'no-store' })
    res.end()
    return true
  }
  const answer = isChallengeToken(action.token) ? store.challenge(action.token) : undefined
  const body = answer ?? 'no such ACME challenge here\n'
  res.writeHead(answer ? 200 : 404, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' })
  res.end(req.method === 'HEAD' ? undefined : body)
  return true
}
