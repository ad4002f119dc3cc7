// What the DNS server says to one question: answered from the service table (names
// inside the domain) or forwarded (names outside it). Pure: the records come back as
// plain dns2 resource objects, the server only adds the header and sends.
import type { Backend, ServiceTable } from './service-table.js'
import { hostAddresses, relativeLabels } from './service-table.js'

export const TYPE = { A: 1, NS: 2, SOA: 6, AAAA: 28, SRV: 33, ANY: 255 } as const
export const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const
const IN = 1

export interface DnsQuestion { name: string; type: number; class?: number }

export interface DnsContext {
  domain: string
  ttl: number
  /** SOA serial: the etcd revision the table was built at. */
  serial: number
  /** The address the query came in on: the A of ns.dns.<domain>. */
  nsAddress?: string
}

export interface DnsResource { name: string; type: number; class: number; ttl: number; [field: string]: unknown }

export type DnsDecision =
  | { kind: 'forward' }
  | { kind: 'answer'; rcode: number; answers: DnsResource[]; authorities: DnsResource[]; additionals: DnsResource[] }

export function nsName(domain: string): string { return `ns.dns.${domain}` }

export function answerQuestion(table: ServiceTable, q: DnsQuestion, ctx: DnsContext): DnsDecision {
  const labels = relativeLabels(q.name, ctx.domain)
  if (labels === undefined) return { kind: 'forward' }
  const name = q.name.replace(/\.$/, '')
  const d = ctx.domain
  const soa = soaRecord(ctx)
  const answer = (answers: DnsResource[], additionals: DnsResource[] = []): DnsDecision =>
    answers.length > 0
      ? { kind: 'answer', rcode: RCODE.NOERROR, answers, authorities: [], additionals }
      : { kind: 'answer', rcode: RCODE.NOERROR, answers: [], authorities: [soa], additionals: [] } // NODATA
  const nxdomain: DnsDecision = { kind: 'answer', rcode: RCODE.NXDOMAIN, answers: [], authorities: [soa], additionals: [] }
  const wants = (t: number): boolean => q.type === t || q.type === TYPE.ANY

  if (labels.length === 0) {
    const answers: DnsResource[] = []
    const additionals: DnsResource[] = []
    if (wants(TYPE.SOA)) answers.push({ ...soa, name })
    if (wants(TYPE.NS)) {
      answers.push({ name, type: TYPE.NS, class: IN, ttl: ctx.ttl, ns: nsName(d) })
      if (ctx.nsAddress) additionals.push(aRecord(nsName(d), ctx.nsAddress, ctx.ttl))
    }
    return answer(answers, additionals)
  }
  if (labels.length === 2 && labels[0] === 'ns' && labels[1] === 'dns') {
    return answer(wants(TYPE.A) && ctx.nsAddress ? [aRecord(name, ctx.nsAddress, ctx.ttl)] : [])
  }
  if (labels.length === 1 && labels[0] === 'dns') return answer([])

  if (labels.length === 2) {
    const [service, app] = labels as [string, string]
    const e = table.service(app, service)
    if (!e || e.backends.length === 0) return nxdomain
    return answer(records(name, e.backends, q, ctx), srvGlue(e.backends, q, ctx))
  }
  if (labels.length === 3) {
    const [leaf, service, app] = labels as [string, string, string]
    const b = table.instance(leaf, service, app)
    if (!b) return nxdomain
    return answer(records(name, [b], q, ctx), srvGlue([b], q, ctx))
  }
  // "<app>.<domain>" exists when the app has a live service: an empty non-terminal.
  if (labels.length === 1 && table.apps.has(labels[0]!)) return answer([])
  return nxdomain
}

function records(name: string, backends: Backend[], q: DnsQuestion, ctx: DnsContext): DnsResource[] {
  const out: DnsResource[] = []
  if (q.type === TYPE.A || q.type === TYPE.ANY) {
    for (const address of hostAddresses(backends)) out.push(aRecord(name, address, ctx.ttl))
  }
  if (q.type === TYPE.SRV || q.type === TYPE.ANY) {
    for (const b of backends) {
      out.push({ name, type: TYPE.SRV, class: IN, ttl: ctx.ttl, priority: 10, weight: 10, port: b.port, target: srvTarget(b, ctx.domain) })
    }
  }
  return out
}

/** A records for SRV targets, so a client needs no second query. */
function srvGlue(backends: Backend[], q: DnsQuestion, ctx: DnsContext): DnsResource[] {
  if (q.type !== TYPE.SRV && q.type !== TYPE.ANY) return []
  return backends.flatMap((b) => hostAddresses([b]).map((a) => aRecord(srvTarget(b, ctx.domain), a, ctx.ttl)))
}

export function srvTarget(b: Backend, domain: string): string {
  return `${b.leaf}.${b.service}.${b.app}.${domain}`.toLowerCase()
}

function aRecord(name: string, address: string, ttl: number): DnsResource {
  return { name, type: TYPE.A, class: IN, ttl, address }
}

function soaRecord(ctx: DnsContext): DnsResource {
  return {
    name: ctx.domain, type: TYPE.SOA, class: IN, ttl: ctx.ttl,
    primary: nsName(ctx.domain), admin: `hostmaster.${ctx.domain}`,
    // Serials are 32-bit; etcd revisions rarely get there, but wrap rather than break.
    serial: ctx.serial % 0x100000000, refresh: 3600, retry: 600, expiration: 86400,
    // The negative-caching TTL (RFC 2308): as short as the positive one, so a service
    // that appears is seen as quickly as one that changes.
    minimum: ctx.ttl,
  }
}
