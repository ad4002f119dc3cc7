// The DNS server: one dns2 UDP and one dns2 TCP server per --dns-listen endpoint,
// answering names in the domain from the current service table and forwarding the
// rest. Answers are cached per question as encoded bytes until the table changes, so
// a repeated query costs one Map lookup and a copy.
import dns2 from 'dns2'
import type { Socket } from 'node:net'
import type { Logger } from 'pino'
import type { Forwarder } from './dns-forwarder.js'
import { answerQuestion, RCODE, type DnsContext } from './dns-answer.js'
import { questionEnd, stampAnswer } from './dns-wire.js'
import { bindError } from './errors.js'
import { formatEndpoint, type Endpoint } from './listen-address.js'
import type { ServiceTable } from './service-table.js'

const { Packet, UDPServer, TCPServer } = dns2
type Packet = InstanceType<typeof Packet>
type Send = (response: Packet | Buffer) => unknown

const UDP_LIMIT = 512
const CACHE_LIMIT = 10_000

export interface DnsServerOptions {
  endpoints: Endpoint[]
  domain: string
  ttl: number
  /** The table in force now, and the etcd revision it was built at. */
  table: () => { table: ServiceTable; revision: number }
  /** undefined: names outside the domain are refused. */
  forwarder?: Forwarder
  log: Logger
}

export interface RunningDnsServer {
  close(): Promise<void>
}

/** Answers one parsed query; `raw` is the query as received, for forwarding unchanged. */
function makeHandler(opts: DnsServerOptions, endpoint: Endpoint) {
  const cache = new Map<string, Buffer>()
  let cachedFor: ServiceTable | undefined

  const handle = async (request: Packet, raw: Buffer, send: Send): Promise<void> => {
    const response = Packet.createResponseFromRequest(request)
    const q = request.questions[0]
    if (!q || request.questions.length !== 1) {
      response.header.rcode = 1 // FORMERR: we answer exactly one question
      await send(response)
      return
    }
    const { table, revision } = opts.table()
    const ctx: DnsContext = { domain: opts.domain, ttl: opts.ttl, serial: revision, nsAddress: endpoint.address.includes(':') ? undefined : endpoint.address }
    const decision = answerQuestion(table, { name: q.name, type: q.type, class: q.class }, ctx)
    if (decision.kind === 'forward') {
      response.header.ra = 1
      if (!opts.forwarder) {
        response.header.rcode = RCODE.REFUSED
        await send(response)
        return
      }
      const answer = await opts.forwarder.forward(raw)
      if (answer) { await send(answer); return }
      opts.log.warn({ query: q.name }, 'upstream DNS did not answer in time: SERVFAIL')
      response.header.rcode = RCODE.SERVFAIL
      await send(response)
      return
    }
    response.header.aa = 1
    response.header.ra = opts.forwarder ? 1 : 0
    response.header.rcode = decision.rcode
    response.answers = decision.answers as never[]
    response.authorities = decision.authorities as never[]
    response.additionals = decision.additionals as never[]
    const bytes = response.toBuffer()
    const end = questionEnd(raw)
    if (end !== undefined && bytes.length <= UDP_LIMIT) {
      if (cachedFor !== table) { cache.clear(); cachedFor = table }
      if (cache.size >= CACHE_LIMIT) cache.clear()
      cache.set(raw.toString('latin1', 12, end), bytes)
    }
    await send(bytes)
  }

  /** The fast path: a cached answer for exactly this question under the current table. */
  const cached = (raw: Buffer): Buffer | undefined => {
    if (cachedFor !== opts.table().table) return undefined
    const end = questionEnd(raw)
    if (end === undefined) return undefined
    const hit = cache.get(raw.toString('latin1', 12, end))
    return hit && stampAnswer(hit, raw)
  }
  return { handle, cached }
}

export async function startDnsServer(opts: DnsServerOptions): Promise<RunningDnsServer> {
  const closers: (() => Promise<void>)[] = []
  const close = async (): Promise<void> => { await Promise.all(closers.map((c) => c())) }
  try {
    for (const endpoint of opts.endpoints) {
      const { handle, cached } = makeHandler(opts, endpoint)
      const onError = (err: unknown): void => { opts.log.warn({ err, endpoint: formatEndpoint(endpoint) }, 'DNS request failed') }
      const type = endpoint.address.includes(':') ? 'udp6' : 'udp4'

      const udp = new UDPServer({ type })
      // dns2's handler parses every message; take it over so a cached question skips
      // the parse, and a forwarded one goes upstream byte for byte.
      udp.removeAllListeners('message')
      udp.on('message', (data: Buffer, rinfo: { address: string; port: number }) => {
        const hit = cached(data)
        if (hit) { udp.send(hit, rinfo.port, rinfo.address); return }
        let request: Packet
        try { request = Packet.parse(data) } catch { return } // not DNS: nothing to answer
        const sendUdp: Send = (r) => udp.response({ rinfo, maxPayload: payloadLimit(request) } as never, r as never)
        handle(request, data, sendUdp).catch(onError)
      })
      await listenUdp(udp, endpoint)
      closers.push(() => new Promise((resolve) => udp.close(() => resolve())))

      const tcp = new TCPServer()
      const clients = new Set<Socket>()
      tcp.on('connection', (c: Socket) => { clients.add(c); c.on('close', () => clients.delete(c)) })
      tcp.on('request', (request: Packet, send: Send) => {
        handle(request, request.toBuffer(), send).catch(onError)
      })
      tcp.on('requestError', onError)
      await listenTcp(tcp, endpoint)
      closers.push(() => closeTcp(tcp, clients))
      opts.log.info({ address: formatEndpoint(endpoint) }, 'DNS listening (UDP and TCP)')
    }
  } catch (err) {
    await close()
    throw err
  }
  return { close }
}

function payloadLimit(request: Packet): number {
  const opt = request.additionals.find((r: { type?: number }) => r?.type === Packet.TYPE.EDNS) as { class?: number } | undefined
  return Math.max(opt?.class ?? UDP_LIMIT, UDP_LIMIT)
}

function listenUdp(udp: InstanceType<typeof UDPServer>, e: Endpoint): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(bindError(err, e.address, e.port, '--dns-listen', 'DNS (UDP)'))
    udp.once('error', onError)
    udp.bind(e.port, e.address, () => { udp.off('error', onError); resolve() })
  })
}

function listenTcp(tcp: InstanceType<typeof TCPServer>, e: Endpoint): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(bindError(err, e.address, e.port, '--dns-listen', 'DNS (TCP)'))
    tcp.once('error', onError)
    tcp.listen({ port: e.port, host: e.address }, () => { tcp.off('error', onError); resolve() })
  })
}

function closeTcp(tcp: InstanceType<typeof TCPServer>, clients: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    tcp.close(() => resolve())
    // dns2 keeps idle TCP clients for 10 s; don't make shutdown wait for them.
    for (const c of clients) c.destroy()
  })
}
