// The builder's REST API (/api/v1) as dokkaacfg uses it, with a bearer token; the shapes of
// its replies are the contract's (schemas/rest-api.ts). HTTP failures become our errors
// here, once: 401 AuthError, 404 NotFoundError, a 403 that is not a quota AuthError,
// anything else ApiError carrying the builder's own message (and per-field errors:
// manifest JSON paths, names, quotas). An https:// builder is checked against exactly the
// cluster CA given to `dokkaacfg login --ca` (DOKKAA_CA), not the system's CAs.
import { nodeFiles, readPem } from '../kit/etcd-tls.js'
import { FlagError } from '../kit/flags.js'
import { TlsFetcher, untrustedCertificate } from '../kit/tls-fetch.js'
import { API_ERROR_CODES, appRefProblems, nameProblem, type ApiErrorBody, type ApiErrorListDetails, type ManifestError } from '../schemas/index.js'
import { ApiError, AuthError, NotFoundError, UsageError } from './errors.js'

/** An error reply as it may arrive: the builder's ApiErrorBody, or whatever a proxy in front of it sent. */
interface ErrorBody { error?: Partial<ApiErrorBody['error']> }

/** How `login` is told the cluster CA, for messages. */
const CA_HINT = 'give the cluster CA that signed the builder\'s certificate: `dokkaacfg login --url URL --ca <ca.crt>` (or DOKKAA_CA=<ca.crt>)'

export class BuilderClient {
  private fetcher: TlsFetcher | undefined

  /** `ca`: the cluster CA file (login --ca, DOKKAA_CA), read at the first request. */
  constructor(readonly baseUrl: string, private readonly auth: { token?: string; basic?: { user: string; password: string } } = {}, private readonly ca?: string) {}

  private tls(): TlsFetcher {
    if (this.fetcher) return this.fetcher
    try {
      this.fetcher = new TlsFetcher(this.ca ? { ca: readPem(nodeFiles, '--ca', this.ca, 'the cluster CA certificate') } : undefined)
    } catch (e) {
      if (e instanceof FlagError) throw new UsageError(e.message, CA_HINT)
      throw e
    }
    return this.fetcher
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { accept: 'application/json', ...extra }
    if (this.auth.token) h.authorization = `Bearer ${this.auth.token}`
    else if (this.auth.basic) h.authorization = `Basic ${Buffer.from(`${this.auth.basic.user}:${this.auth.basic.password}`).toString('base64')}`
    return h
  }

  url(path: string): string {
    return `${this.baseUrl.replace(/\/+$/, '')}${path}`
  }

  /** A Buffer body is sent as the bytes it holds (application/octet-stream: a secret's or config's value); anything else as JSON. */
  async raw(method: string, path: string, body?: unknown): Promise<Response> {
    let res: Response
    const bytes = Buffer.isBuffer(body)
    try {
      res = await this.tls().fetch(this.url(path), {
        method,
        headers: this.headers(body === undefined ? {} : { 'content-type': bytes ? 'application/octet-stream' : 'application/json' }),
        body: body === undefined ? undefined : bytes ? new Uint8Array(body) : JSON.stringify(body),
      })
    } catch (e) {
      if (e instanceof UsageError) throw e
      const untrusted = untrustedCertificate(e)
      if (untrusted) {
        throw new ApiError(`the builder at ${this.baseUrl} shows a certificate that ${this.ca ? `the CA in ${this.ca} (--ca) did not sign` : 'no CA this machine trusts signed: pass the cluster CA with --ca'} (${untrusted})`, undefined, CA_HINT)
      }
      throw new ApiError(`cannot reach the builder at ${this.baseUrl}: ${String((e as { cause?: unknown }).cause ?? e)}`, undefined,
        'is the cluster up? point dokkaacfg at it with `dokkaacfg login --url URL` or DOKKAA_URL')
    }
    if (res.ok) return res
    const text = await res.text()
    let err: ErrorBody['error']
    try { err = (JSON.parse(text) as ErrorBody).error } catch { /* not JSON */ }
    const message = err?.message ?? (text.trim() || res.statusText)
    if (res.status === 401) throw new AuthError(`the builder refused the credentials: ${message}`, 'log in again with `dokkaacfg login`')
    if (res.status === 403 && err?.code !== API_ERROR_CODES.quotaExceeded) throw new AuthError(`not allowed: ${message}`)
    if (res.status === 404) throw new NotFoundError(message)
    const retry = res.headers.get('retry-after')
    const e = new ApiError(message, res.status,
      err?.code === API_ERROR_CODES.quotaExceeded ? 'ask an operator to raise your quota in /config/policy, or scale something down'
        : res.status === 429 && retry ? `retry in ${retry} s, or log in with an API token (\`dokkaacfg login --token\`)` : undefined)
    // The builder puts a refused manifest's errors (with JSON paths) in details.errors (ApiErrorListDetails).
    const details = err?.details as Partial<ApiErrorListDetails> | unknown[] | null | undefined
    const list: unknown = Array.isArray(details) ? details : details?.errors
    if (Array.isArray(list)) e.details = list as ManifestError[]
    throw e
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.raw(method, path, body)
    if (res.status === 204) return undefined as T
    return await res.json() as T
  }
}

/** app/name or app/name/index, as the commands take them; names by the contract's rule (schemas/names.ts). */
export function parseRef(s: string, opts: { index?: 'optional' | 'forbidden' } = {}): { app: string; name: string; index?: number } {
  const parts = s.split('/')
  const ok = parts.length === 2 || (parts.length === 3 && opts.index !== 'forbidden' && /^\d{1,6}$/.test(parts[2]!))
  if (!ok) {
    throw new UsageError(`"${s}" is not ${opts.index === 'forbidden' ? 'app/name' : 'app/name or app/name/index'}`, 'for example dummy/nginx or dummy/nginx/0')
  }
  assertNames(parts[0]!, parts[1]!)
  return { app: parts[0]!, name: parts[1]!, ...(parts[2] !== undefined ? { index: Number(parts[2]) } : {}) }
}

/** Refuses, before any request, an app/name the builder would refuse: a usage error stating the rule. */
export function assertNames(app: string, name?: string, where = ''): void {
  const problems = (name === undefined ? [nameProblem('app', app)] : appRefProblems(app, name))
    .filter((p): p is ManifestError => p !== undefined)
  if (problems.length > 0) throw new UsageError(`${where}${problems.map(p => p.message).join('; ')}`)
}
