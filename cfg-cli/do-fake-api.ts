// A local stand-in for DigitalOcean's API v2, for tests only (127.0.0.1, random
// port). It checks every request against the documented API — method and path,
// `Authorization: Bearer <token>`, JSON body fields and their types, tag and
// hostname syntax, the 64 KiB user_data limit — and answers like DigitalOcean:
// 202 with the new droplet (status "new", no addresses yet), droplets turning
// "active" with a public and a private IPv4 on the next listing, 204 for deletes,
// {"id","message"} errors with 401/404/422, and a 429 with retry-after on demand.
// Anything it does not recognise is a 400 and is recorded as a violation, so a test
// can assert there were none.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Droplet } from './do-api.js'

export interface RecordedRequest { method: string; path: string; body?: Record<string, unknown> }

const CREATE_FIELDS: Record<string, (v: unknown) => boolean> = {
  name: v => typeof v === 'string',
  names: v => Array.isArray(v) && v.length <= 10 && v.every(x => typeof x === 'string'),
  region: v => typeof v === 'string',
  size: v => typeof v === 'string',
  image: v => typeof v === 'string' || Number.isInteger(v),
  ssh_keys: v => Array.isArray(v) && v.every(x => typeof x === 'string' || Number.isInteger(x)),
  user_data: v => typeof v === 'string' && Buffer.byteLength(v) <= 64 * 1024,
  tags: v => Array.isArray(v) && v.every(x => typeof x === 'string' && /^[a-zA-Z0-9_:-]{1,255}$/.test(x)),
  backups: v => typeof v === 'boolean',
  ipv6: v => typeof v === 'boolean',
  monitoring: v => typeof v === 'boolean',
  vpc_uuid: v => typeof v === 'string',
  with_droplet_agent: v => typeof v === 'boolean',
}
const REGIONS = new Set(['ams3', 'nyc3', 'fra1', 'sgp1', 'lon1', 'sfo3'])
const HOSTNAME = /^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,251}[a-zA-Z0-9])?$/

export class FakeDigitalOcean {
  readonly requests: RecordedRequest[] = []
  readonly violations: string[] = []
  readonly droplets = new Map<number, Droplet & { listedOnce?: boolean; user_data: string }>()
  /** Answer the next N requests with 429 (retry-after: 1). */
  rateLimitNext = 0
  private nextId = 3000001
  private clock = Date.parse('2026-01-01T00:00:00Z')
  private server?: Server
  url = ''

  constructor(readonly token: string) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => { void this.handle(req, res) })
    await new Promise<void>(r => this.server!.listen(0, '127.0.0.1', r))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this
  }

  async stop(): Promise<void> {
    await new Promise<void>(r => this.server?.close(() => r()) ?? r())
  }

  /** A droplet someone else made (must never be touched). */
  addForeign(name: string, tags: string[]): Droplet {
    const d = this.make(name, tags, '')
    d.status = 'active'
    return d
  }

  private make(name: string, tags: string[], userData: string): Droplet & { listedOnce?: boolean; user_data: string } {
    const id = this.nextId++
    this.clock += 1000
    const d = { id, name, status: 'new', created_at: new Date(this.clock).toISOString(), tags, networks: { v4: [], v6: [] }, user_data: userData }
    this.droplets.set(id, d)
    return d
  }

  private send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) {
    res.writeHead(status, { ...(body !== undefined ? { 'content-type': 'application/json; charset=utf-8' } : {}), 'ratelimit-limit': '5000', 'ratelimit-remaining': '4999', ...headers })
    res.end(body !== undefined ? JSON.stringify(body) : undefined)
  }

  private fail(res: ServerResponse, status: number, id: string, message: string, violation = true) {
    if (violation) this.violations.push(`${status} ${id}: ${message}`)
    this.send(res, status, { id, message, request_id: 'fake' })
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const raw = Buffer.concat(chunks).toString('utf8')
    const url = new URL(req.url ?? '/', 'http://x')
    const method = req.method ?? ''
    let body: Record<string, unknown> | undefined
    if (raw) {
      if (!String(req.headers['content-type']).startsWith('application/json')) return this.fail(res, 400, 'bad_request', 'a body needs Content-Type: application/json')
      try { body = JSON.parse(raw) as Record<string, unknown> } catch { return this.fail(res, 400, 'bad_request', 'body is not JSON') }
    }
    this.requests.push({ method, path: url.pathname + url.search, ...(body ? { body } : {}) })
    if (req.headers.authorization !== `Bearer ${this.token}`) return this.fail(res, 401, 'unauthorized', 'Unable to authenticate you', false)
    if (this.rateLimitNext > 0) {
      this.rateLimitNext--
      return this.send(res, 429, { id: 'too_many_requests', message: 'API Rate limit exceeded.' }, { 'retry-after': '1', 'ratelimit-remaining': '0', 'ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 1) })
    }
    const q = Object.fromEntries(url.searchParams)

    if (method === 'GET' && url.pathname === '/v2/droplets') {
      for (const k of Object.keys(q)) if (!['tag_name', 'page', 'per_page', 'name'].includes(k)) return this.fail(res, 400, 'bad_request', `unknown query parameter ${k}`)
      if (q.per_page && (Number(q.per_page) < 1 || Number(q.per_page) > 200)) return this.fail(res, 400, 'bad_request', 'per_page must be 1..200')
      const all = [...this.droplets.values()].filter(d => !q.tag_name || d.tags.includes(q.tag_name))
      for (const d of all) {
        // Like the real thing: a new droplet is listed once as "new", then it is up.
        if (d.status === 'new' && d.listedOnce) {
          d.status = 'active'
          d.networks.v4 = [
            { ip_address: `203.0.113.${d.id % 250}`, netmask: '255.255.255.0', gateway: '203.0.113.1', type: 'public' },
            { ip_address: `10.110.0.${d.id % 250}`, netmask: '255.255.240.0', gateway: '10.110.0.1', type: 'private' },
          ]
        }
        d.listedOnce = true
      }
      const perPage = Number(q.per_page ?? 20)
      const page = Number(q.page ?? 1)
      const slice = all.slice((page - 1) * perPage, page * perPage)
      const next = page * perPage < all.length ? { next: `${this.url}/v2/droplets?page=${page + 1}&per_page=${perPage}` } : {}
      return this.send(res, 200, { droplets: slice.map(({ listedOnce: _l, user_data: _u, ...d }) => d), links: { pages: next }, meta: { total: all.length } })
    }

    if (method === 'POST' && url.pathname === '/v2/droplets') {
      if (!body) return this.fail(res, 400, 'bad_request', 'missing body')
      for (const [k, v] of Object.entries(body)) {
        const check = CREATE_FIELDS[k]
        if (!check) return this.fail(res, 422, 'unprocessable_entity', `unknown attribute ${k}`)
        if (!check(v)) return this.fail(res, 422, 'unprocessable_entity', `${k} has the wrong type or value`)
      }
      const names = body.names as string[] | undefined ?? (typeof body.name === 'string' ? [body.name] : [])
      if (!names.length || (body.name && body.names)) return this.fail(res, 422, 'unprocessable_entity', 'give name or names')
      for (const n of names) if (!HOSTNAME.test(n)) return this.fail(res, 422, 'unprocessable_entity', `${n} is not a valid hostname`)
      for (const k of ['region', 'size', 'image']) if (body[k] === undefined) return this.fail(res, 422, 'unprocessable_entity', `${k} is required`)
      if (!REGIONS.has(body.region as string)) return this.fail(res, 422, 'unprocessable_entity', 'Region is not available', false)
      const made = names.map(n => this.make(n, (body!.tags as string[] | undefined) ?? [], (body!.user_data as string | undefined) ?? ''))
      const view = ({ listedOnce: _l, user_data: _u, ...d }: Droplet & { listedOnce?: boolean; user_data: string }) => d
      return this.send(res, 202, names.length === 1 && body.name ? { droplet: view(made[0]!) } : { droplets: made.map(view) })
    }

    const one = url.pathname.match(/^\/v2\/droplets\/(\d+)$/)
    if (method === 'DELETE' && one) {
      if (!this.droplets.delete(Number(one[1]))) return this.fail(res, 404, 'not_found', 'The resource you were accessing could not be found.')
      return this.send(res, 204)
    }
    if (method === 'DELETE' && url.pathname === '/v2/droplets') {
      if (!q.tag_name || Object.keys(q).length !== 1) return this.fail(res, 400, 'bad_request', 'DELETE /v2/droplets needs exactly tag_name')
      for (const [id, d] of this.droplets) if (d.tags.includes(q.tag_name)) this.droplets.delete(id)
      return this.send(res, 204)
    }
    return this.fail(res, 400, 'bad_request', `no such endpoint: ${method} ${url.pathname}`)
  }
}
