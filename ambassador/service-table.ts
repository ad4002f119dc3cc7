// The in-memory service table: the raw /skydns and /ports records, as the watch
// delivers them, turned into what DNS, the proxy and the web router ask for. Pure and
// immutable: the watch builds a new table after each batch of changes, and readers
// keep using whichever table they picked up.
import { isIP } from 'node:net'
import type { KeyLayout, SkydnsRecord } from '../schemas/index.js'

export interface Backend {
  app: string
  service: string
  /** The SkyDNS leaf, e.g. "nginx-0": names one instance. */
  leaf: string
  host: string
  port: number
  role: 'web' | 'tcp'
}

export interface ServiceEntry {
  app: string
  service: string
  /** Live instances, sorted by leaf so every ambassador sees one order. */
  backends: Backend[]
  /** The cluster-wide proxy port, once allocated. */
  port?: number
  /** True when any instance announces role "web". */
  web: boolean
}

export interface RawRecords {
  /** Full etcd key → value, for keys under the skydns root. */
  skydns: ReadonlyMap<string, string>
  /** Full etcd key → value, for keys under the ports root. */
  ports: ReadonlyMap<string, string>
}

export interface TableProblem { key: string; problem: string }

/** "app/service" of a service, lowercased: DNS names are case-insensitive. */
export function serviceId(app: string, service: string): string {
  return `${app}/${service}`.toLowerCase()
}

export class ServiceTable {
  private constructor(
    readonly services: ReadonlyMap<string, ServiceEntry>,
    readonly byPort: ReadonlyMap<number, ServiceEntry>,
    /** Lowercased "leaf/service/app" → backend. */
    private readonly byLeaf: ReadonlyMap<string, Backend>,
    readonly apps: ReadonlySet<string>,
    /** Records the table could not use, for the log. */
    readonly problems: readonly TableProblem[],
  ) {}

  static readonly empty = ServiceTable.build({ skydns: new Map(), ports: new Map() }, undefined)

  static build(raw: RawRecords, keys: KeyLayout | undefined): ServiceTable {
    const services = new Map<string, ServiceEntry>()
    const byLeaf = new Map<string, Backend>()
    const problems: TableProblem[] = []
    const entry = (app: string, service: string): ServiceEntry => {
      const id = serviceId(app, service)
      let e = services.get(id)
      if (!e) services.set(id, e = { app, service, backends: [], web: false })
      return e
    }
    for (const [key, value] of raw.skydns) {
      const ref = keys?.parseSkydns(key)
      if (!ref) { problems.push({ key, problem: 'not <app>/<service>/<leaf> under the skydns root' }); continue }
      const rec = parseSkydnsValue(value)
      if (typeof rec === 'string') { problems.push({ key, problem: rec }); continue }
      const b: Backend = { ...ref, host: rec.host, port: rec.port, role: rec.role === 'web' ? 'web' : 'tcp' }
      const e = entry(ref.app, ref.service)
      e.backends.push(b)
      if (b.role === 'web') e.web = true
      byLeaf.set(`${ref.leaf}/${ref.service}/${ref.app}`.toLowerCase(), b)
    }
    const byPort = new Map<number, ServiceEntry>()
    for (const [key, value] of raw.ports) {
      const ref = keys?.parsePort(key)
      if (!ref) continue // ports-owner keys and the like share the range; not ours to read
      const port = Number(value)
      if (!Number.isInteger(port) || port < 1 || port > 65535) { problems.push({ key, problem: `port "${value}" is not 1-65535` }); continue }
      const clash = byPort.get(port)
      if (clash) { problems.push({ key, problem: `port ${port} is already ${clash.app}/${clash.service}'s` }); continue }
      const e = entry(ref.app, ref.service)
      e.port = port
      byPort.set(port, e)
    }
    for (const e of services.values()) e.backends.sort((a, b) => a.leaf.localeCompare(b.leaf, 'en', { numeric: true }))
    const apps = new Set([...services.values()].filter((e) => e.backends.length > 0).map((e) => e.app.toLowerCase()))
    return new ServiceTable(services, byPort, byLeaf, apps, problems)
  }

  service(app: string, service: string): ServiceEntry | undefined {
    return this.services.get(serviceId(app, service))
  }

  instance(leaf: string, service: string, app: string): Backend | undefined {
    return this.byLeaf.get(`${leaf}/${service}/${app}`.toLowerCase())
  }

  /** Services with instances but no proxy port yet (the scheduler allocates them). */
  unallocated(): ServiceEntry[] {
    return [...this.services.values()].filter((e) => e.port === undefined && e.backends.length > 0)
  }

  /**
   * Backends for an HTTP Host header: "<app>.<domain>" is every web service of the
   * app, "<service>.<app>.<domain>" one service. undefined: the host names nothing of
   * ours (404); an empty list: known, but nothing live (503).
   */
  webBackends(hostHeader: string, domain: string): Backend[] | undefined {
    const labels = relativeLabels(hostHeader.replace(/:\d+$/, ''), domain)
    if (!labels) return undefined
    if (labels.length === 1) {
      const [app] = labels as [string]
      const ofApp = [...this.services.values()].filter((e) => e.app.toLowerCase() === app)
      if (ofApp.length === 0) return undefined
      // An app whose web instances are all gone is still known (its ports stay
      // allocated): that is a 503, not a 404.
      return ofApp.flatMap((e) => e.backends.filter((b) => b.role === 'web'))
    }
    if (labels.length === 2) {
      const [service, app] = labels as [string, string]
      const e = this.service(app, service)
      if (!e || (!e.web && e.backends.length > 0)) return undefined
      return e.backends.filter((b) => b.role === 'web')
    }
    return undefined
  }
}

/** Unique IPv4 host addresses of a service's backends, for A answers. */
export function hostAddresses(backends: readonly Backend[]): string[] {
  return [...new Set(backends.map((b) => b.host).filter((h) => isIP(h) === 4))]
}

/**
 * The labels of `name` below `domain`, lowercased, innermost first ("nginx.dummy" →
 * ["nginx","dummy"]); [] for the domain itself; undefined when outside it.
 */
export function relativeLabels(name: string, domain: string): string[] | undefined {
  const n = name.toLowerCase().replace(/\.$/, '')
  const d = domain.toLowerCase()
  if (n === d) return []
  if (!n.endsWith(`.${d}`)) return undefined
  return n.slice(0, -(d.length + 1)).split('.')
}

/** A record's value, or a sentence saying what is wrong with it. */
export function parseSkydnsValue(value: string): SkydnsRecord | string {
  let v: unknown
  try { v = JSON.parse(value) } catch { return 'value is not JSON' }
  if (typeof v !== 'object' || v === null) return 'value is not a JSON object'
  const r = v as Partial<SkydnsRecord>
  // Conductors announce host addresses; anything else (a name, a URL) would make the
  // proxy and DNS send traffic wherever a hand-written record points.
  if (typeof r.host !== 'string' || isIP(r.host) === 0) return '"host" is not an IP address'
  if (typeof r.port !== 'number' || !Number.isInteger(r.port) || r.port < 1 || r.port > 65535) return '"port" is not 1-65535'
  if (r.role !== undefined && r.role !== 'web' && r.role !== 'tcp') return '"role" is not "web" or "tcp"'
  return r as SkydnsRecord
}
