// fetch() towards a peer whose certificate the cluster's own CA signed: the builder calling
// the conductors' agent APIs (with its client certificate: mutual TLS), dokkaacfg calling an
// https builder. Node 20's global fetch takes no CA of its own without undici's Agent,
// which is not a dependency of Dokkaa; node:https does. So an https:// URL, given TLS
// material, goes through node:https and comes back as a standard Response (callers keep
// using res.status, res.text(), res.body); anything else goes to the global fetch as before.
import { Agent, request } from 'node:https'
import { Readable } from 'node:stream'
import type { ReadableStream } from 'node:stream/web'

/** PEM contents: the CA trusted (only it: the system's CAs are not), and a client certificate to show. */
export interface TlsClientMaterial {
  ca: Buffer
  client?: { cert: Buffer; key: Buffer }
}

export interface TlsFetchInit {
  method?: string
  headers?: Record<string, string>
  body?: string | Uint8Array<ArrayBuffer>
  signal?: AbortSignal
}

// Statuses whose Response must not have a body (the constructor throws otherwise).
const NULL_BODY = new Set([204, 205, 304])

export class TlsFetcher {
  private readonly agent: Agent | undefined

  constructor(tls?: TlsClientMaterial) {
    this.agent = tls && new Agent({ ca: tls.ca, ...(tls.client ? { cert: tls.client.cert, key: tls.client.key } : {}) })
  }

  /** Whether https:// URLs are checked against a CA of ours. */
  get hasCa(): boolean {
    return this.agent !== undefined
  }

  fetch(url: string, init: TlsFetchInit = {}): Promise<Response> {
    if (!this.agent || !url.startsWith('https:')) return fetch(url, init)
    const method = init.method ?? 'GET'
    return new Promise<Response>((resolve, reject) => {
      const req = request(url, { method, headers: init.headers, agent: this.agent, signal: init.signal }, res => {
        try {
          const headers = new Headers()
          for (const [name, value] of Object.entries(res.headers)) {
            for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, v)
          }
          const status = res.statusCode ?? 0
          const empty = NULL_BODY.has(status) || method === 'HEAD'
          if (empty) res.resume()
          const body = empty ? null : Readable.toWeb(res) as ReadableStream<Uint8Array>
          resolve(new Response(body as globalThis.ReadableStream<Uint8Array> | null, { status, statusText: res.statusMessage, headers }))
        } catch (err) {
          res.destroy()
          reject(err as Error)
        }
      })
      req.on('error', reject)
      req.end(init.body)
    })
  }
}

// OpenSSL's verify errors for "no CA we trust signed this certificate", as Node names them.
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE',
])

/** The verify code when `err` (or its cause: the global fetch wraps it) says the server's certificate is not trusted. */
export function untrustedCertificate(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && UNTRUSTED.has(e.code)) return e.code
  }
  return undefined
}

/** The innermost message of a fetch failure ("fetch failed" says nothing; its cause does). */
export function failureReason(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined
  while (e && typeof e.cause === 'object' && e.cause !== null) e = e.cause as typeof e
  return e?.message ?? String(err)
}
