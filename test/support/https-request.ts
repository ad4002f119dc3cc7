// One HTTPS request with exactly the TLS material a test chooses (a CA to trust, a client
// certificate or none), over node:https: what a client that does, or does not, hold the
// cluster's certificates sees. A refused handshake rejects with Node's TLS error.
import type { IncomingHttpHeaders } from 'node:http'
import { request } from 'node:https'

export interface HttpsReply { status: number; headers: IncomingHttpHeaders; body: string }

export interface HttpsRequestOptions {
  /** PEM contents of the CA to trust; absent: the system's (which never signed a test certificate). */
  ca?: Buffer
  /** A client certificate to show. */
  client?: { cert: Buffer; key: Buffer }
  method?: string
  headers?: Record<string, string>
  body?: string
}

export function httpsRequest(url: string, opts: HttpsRequestOptions = {}): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: opts.method ?? 'GET', headers: opts.headers, agent: false, timeout: 10_000,
      ...(opts.ca ? { ca: opts.ca } : {}), ...(opts.client ? { cert: opts.client.cert, key: opts.client.key } : {}),
    }, res => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within 10 s`)))
    req.on('error', reject)
    req.end(opts.body)
  })
}
