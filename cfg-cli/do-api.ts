// The narrow part of DigitalOcean's API v2 the digitalocean provider uses: list
// droplets by tag, create one, delete one, delete by tag. Errors are translated here,
// once: 401/403 -> AuthError, 422 and other 4xx -> ApiError with DigitalOcean's own
// message, 429 -> wait as the answer says (retry-after, else ratelimit-reset) and retry.
import { ApiError, AuthError } from './errors.js'

export const DEFAULT_DO_API_URL = 'https://api.digitalocean.com'

export interface DropletNetwork { ip_address: string; type: 'public' | 'private'; netmask?: string; gateway?: string }

export interface Droplet {
  id: number
  name: string
  /** new | active | off | archive */
  status: string
  created_at: string
  tags: string[]
  networks: { v4: DropletNetwork[]; v6?: unknown[] }
}

/** The body of POST /v2/droplets for one droplet. */
export interface CreateDropletRequest {
  name: string
  region: string
  size: string
  image: string | number
  ssh_keys: (string | number)[]
  user_data: string
  tags: string[]
}

export interface DoClientOptions {
  token: string
  baseUrl?: string
  /** Injected for tests: how to wait, and what time it is (ms). */
  sleep?: (ms: number) => Promise<void>
  now?: () => number
  /** How often one request is retried after a 429 or a 5xx. */
  maxRetries?: number
  /** The longest single wait for a rate limit before giving up (ms). */
  maxWaitMs?: number
}

const sleepReal = (ms: number) => new Promise<void>(r => setTimeout(r, ms))

/** Milliseconds to wait after a 429: retry-after (seconds) first, else ratelimit-reset (epoch seconds). */
export function rateLimitWaitMs(headers: { get(name: string): string | null }, nowMs: number): number {
  const retryAfter = Number(headers.get('retry-after'))
  if (headers.get('retry-after') !== null && Number.isFinite(retryAfter)) return Math.max(0, retryAfter * 1000)
  const reset = Number(headers.get('ratelimit-reset'))
  if (headers.get('ratelimit-reset') !== null && Number.isFinite(reset)) return Math.max(0, reset * 1000 - nowMs)
  return 1000
}

export function publicIpv4(d: Droplet): string | undefined {
  return d.networks.v4.find(n => n.type === 'public')?.ip_address
}

export function privateIpv4(d: Droplet): string | undefined {
  return d.networks.v4.find(n => n.type === 'private')?.ip_address
}

export class DoClient {
  private readonly baseUrl: string
  private readonly sleep: (ms: number) => Promise<void>
  private readonly now: () => number

  constructor(private readonly opts: DoClientOptions) {
    this.baseUrl = (opts.baseUrl ?? DEFAULT_DO_API_URL).replace(/\/+$/, '')
    this.sleep = opts.sleep ?? sleepReal
    this.now = opts.now ?? Date.now
  }

  private async request(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const maxRetries = this.opts.maxRetries ?? 5
    for (let attempt = 0; ; attempt++) {
      let res: Response
      try {
        res = await fetch(this.baseUrl + path, {
          method,
          headers: {
            Authorization: `Bearer ${this.opts.token}`,
            ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
          },
          body: body !== undefined ? JSON.stringify(body) : undefined,
          signal: AbortSignal.timeout(60_000),
        })
      } catch (e) {
        throw new ApiError(`cannot reach the DigitalOcean API at ${this.baseUrl}: ${String((e as Error).cause ?? e)}`, undefined, 'check the network (or --api-url)')
      }
      const text = await res.text()
      let json: unknown
      try { json = text ? JSON.parse(text) : undefined } catch { json = undefined }
      const message = (json as { message?: string } | undefined)?.message ?? (text.slice(0, 200) || res.statusText)
      if (res.ok) return { status: res.status, json }
      if (res.status === 401 || res.status === 403) {
        throw new AuthError(`DigitalOcean refused the token (${res.status}: ${message})`,
          'set DIGITALOCEAN_ACCESS_TOKEN to a personal access token with read and write scope (droplet, tag)')
      }
      if (res.status === 429 && attempt < maxRetries) {
        const wait = rateLimitWaitMs(res.headers, this.now())
        if (wait > (this.opts.maxWaitMs ?? 120_000)) {
          throw new ApiError(`DigitalOcean rate limit reached; it resets in ${Math.ceil(wait / 1000)} s`, 429, 'try again later')
        }
        await this.sleep(wait)
        continue
      }
      if (res.status >= 500 && attempt < Math.min(maxRetries, 3)) {
        await this.sleep(1000 * 2 ** attempt)
        continue
      }
      if (res.status === 429) throw new ApiError(`DigitalOcean rate limit reached (${message})`, 429, 'try again later')
      if (res.status === 422) {
        throw new ApiError(`DigitalOcean refused ${method} ${path.split('?')[0]} (422: ${message})`, 422,
          'check --region, --size, --image and --ssh-key against your account (doctl compute region|size|image|ssh-key list)')
      }
      throw new ApiError(`DigitalOcean answered ${method} ${path.split('?')[0]} with ${res.status}: ${message}`, res.status)
    }
  }

  /** Every droplet carrying `tag`, all pages. */
  async listDroplets(tag: string): Promise<Droplet[]> {
    const out: Droplet[] = []
    for (let page = 1; ; page++) {
      const { json } = await this.request('GET', `/v2/droplets?tag_name=${encodeURIComponent(tag)}&page=${page}&per_page=200`)
      const body = json as { droplets?: Droplet[]; links?: { pages?: { next?: string } } }
      out.push(...(body.droplets ?? []))
      if (!body.links?.pages?.next || !body.droplets?.length) return out
    }
  }

  async createDroplet(req: CreateDropletRequest): Promise<Droplet> {
    const { json } = await this.request('POST', '/v2/droplets', req)
    const d = (json as { droplet?: Droplet }).droplet
    if (!d) throw new ApiError('DigitalOcean accepted the droplet but returned none')
    return d
  }

  async deleteDroplet(id: number): Promise<void> {
    await this.request('DELETE', `/v2/droplets/${id}`)
  }

  /** Deletes every droplet carrying `tag` (DigitalOcean's bulk delete by tag). */
  async deleteByTag(tag: string): Promise<void> {
    await this.request('DELETE', `/v2/droplets?tag_name=${encodeURIComponent(tag)}`)
  }
}
