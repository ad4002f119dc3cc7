// A steady client for the zero-downtime tests and the rollout benchmark: each stream
// sends GETs at a fixed rate (open loop: a slow answer does not slow the sending, as
// with real users) and classifies every answer. A failure is a connection error, a
// timeout, a non-2xx status, or a body the caller did not accept, each kept with its
// stream, sequence number and time, so an assertion can print exactly what went wrong.
import { Resolver } from 'node:dns/promises'
import { Agent, request } from 'node:http'
import type { LookupFunction } from 'node:net'

export interface StreamSpec {
  /** Shown in reports: "router keep-alive". */
  name: string
  host: string
  port: number
  /** Host header (the web router routes by it); default host:port. */
  hostHeader?: string
  path: string
  /** One pooled connection reused between requests, or a new connection for each. */
  keepAlive: boolean
  /** Requests per second. */
  rate: number
  /** Resolve `host` through this DNS server (answers kept for 1 s), picking one of its A records
   * at random for each new connection (a client of DNS round robin, such as Swarm mode's dnsrr). */
  dnsServer?: string
}

export interface Answer {
  stream: string
  /** Send order over all streams: a request with a higher seq was sent later. */
  seq: number
  /** ms since the load started, when the request was sent. */
  sentMs: number
  status?: number
  /** Trimmed body. */
  body?: string
  /** Error code or message when there is no answer. */
  error?: string
  ok: boolean
}

export interface LoadReport {
  sent: number
  answered: number
  /** Per stream: requests sent and the rate they went out at (requests/s). */
  streams: { name: string; sent: number; failed: number; ratePerSec: number }[]
  failures: Answer[]
  /** How many answers had each body (accepted or not). */
  bodies: Record<string, number>
  answers: Answer[]
  durationMs: number
}

export interface Load {
  /** Answers so far (in arrival order). */
  readonly answers: Answer[]
  /** The seq the next request will get: every answer with seq >= it was sent after now. */
  nextSeq(): number
  /** Stops sending, waits for every request in flight, and reports (the same report when called again). */
  stop(): Promise<LoadReport>
}

const TIMEOUT_MS = 15_000

/** Starts the streams. `accept(body)` says whether a 2xx body is right. */
export function startLoad(specs: StreamSpec[], accept: (body: string) => boolean): Load {
  const t0 = performance.now()
  const answers: Answer[] = []
  const inflight = new Set<Promise<void>>()
  const sent = new Map<string, number>()
  let seq = 0
  const timers: NodeJS.Timeout[] = []
  const agents: Agent[] = []

  for (const spec of specs) {
    const agent = agentFor(spec)
    agents.push(agent)
    const periodMs = 1000 / spec.rate
    let due = performance.now()
    sent.set(spec.name, 0)
    // setInterval drifts and bunches; catch up on every tick instead, so the rate holds.
    const tick = () => {
      const now = performance.now()
      while (due <= now) {
        due += periodMs
        const p = once(spec, agent, seq++, now - t0, accept).then(a => { answers.push(a) })
        inflight.add(p)
        void p.finally(() => inflight.delete(p))
        sent.set(spec.name, sent.get(spec.name)! + 1)
      }
    }
    timers.push(setInterval(tick, Math.max(1, Math.floor(periodMs / 2))))
  }

  let stopped: Promise<LoadReport> | undefined
  return {
    answers,
    nextSeq: () => seq,
    // Idempotent: a test's teardown stops a load its body may have stopped already.
    stop() {
      stopped ??= (async () => {
        for (const timer of timers) clearInterval(timer)
        const stoppedMs = performance.now() - t0
        while (inflight.size > 0) await Promise.all([...inflight])
        for (const a of agents) a.destroy()
        return reportOf(specs, answers, sent, stoppedMs)
      })()
      return stopped
    },
  }
}

/** A kept-alive pool reuses its connections (a few, as many as the answers' latency needs: a
 * pool too small queues requests in the client, which would count as the server's slowness);
 * without keep-alive every request gets a connection of its own, closed after the answer. */
function agentFor(spec: StreamSpec): Agent {
  return new Agent({ keepAlive: spec.keepAlive, maxSockets: spec.keepAlive ? 64 : Infinity })
}

/** Sends `perStream` requests on each stream at once (rate is ignored) and reports when all are answered. */
export async function sendBurst(specs: StreamSpec[], perStream: number, accept: (body: string) => boolean): Promise<LoadReport> {
  const t0 = performance.now()
  const agents = specs.map(agentFor)
  let seq = 0
  const pending = specs.flatMap((spec, i) => Array.from({ length: perStream }, () => once(spec, agents[i]!, seq++, performance.now() - t0, accept)))
  const answers = await Promise.all(pending)
  for (const a of agents) a.destroy()
  return reportOf(specs, answers, new Map(specs.map(s => [s.name, perStream])), performance.now() - t0)
}

/** The report of a set of answers (exported for a load run in another process). */
export function reportOf(specs: StreamSpec[], answers: Answer[], sent: Map<string, number>, durationMs: number): LoadReport {
  const bodies: Record<string, number> = {}
  for (const a of answers) if (a.body !== undefined) bodies[a.body] = (bodies[a.body] ?? 0) + 1
  const failures = answers.filter(a => !a.ok).sort((a, b) => a.seq - b.seq)
  return {
    sent: answers.length,
    answered: answers.filter(a => a.status !== undefined).length,
    streams: specs.map(s => ({
      name: s.name,
      sent: sent.get(s.name) ?? 0,
      failed: failures.filter(f => f.stream === s.name).length,
      ratePerSec: Math.round(((sent.get(s.name) ?? 0) / durationMs) * 1000),
    })),
    failures,
    bodies,
    answers: [...answers].sort((a, b) => a.seq - b.seq),
    durationMs,
  }
}

const lookups = new Map<string, LookupFunction>()
/** How long a client keeps a DNS answer: short, so it follows a rollout within a second, yet
 * a few queries per second instead of one per connection (which an embedded DNS server under
 * a busy machine does not keep up with). */
const DNS_CACHE_MS = 1000

function lookupVia(server: string): LookupFunction {
  let lookup = lookups.get(server)
  if (lookup) return lookup
  const resolver = new Resolver({ timeout: 2000, tries: 2 })
  resolver.setServers([server])
  const cache = new Map<string, { at: number; ips: Promise<string[]> }>()
  const resolve = (hostname: string): Promise<string[]> => {
    const hit = cache.get(hostname)
    if (hit && performance.now() - hit.at < DNS_CACHE_MS) return hit.ips
    const ips = resolver.resolve4(hostname)
    cache.set(hostname, { at: performance.now(), ips })
    ips.catch(() => cache.delete(hostname))
    return ips
  }
  lookup = (hostname, options, callback) => {
    resolve(hostname).then(ips => {
      const address = ips[Math.floor(Math.random() * ips.length)] ?? ''
      if (options.all) callback(null, [{ address, family: 4 }])
      else callback(null, address, 4)
    }, (err: NodeJS.ErrnoException) => callback(err, '', 4))
  }
  lookups.set(server, lookup)
  return lookup
}

function once(spec: StreamSpec, agent: Agent, seq: number, sentMs: number, accept: (body: string) => boolean): Promise<Answer> {
  const base = { stream: spec.name, seq, sentMs }
  return new Promise(resolve => {
    const req = request({
      host: spec.host, port: spec.port, path: spec.path, agent, timeout: TIMEOUT_MS,
      ...(spec.dnsServer !== undefined ? { lookup: lookupVia(spec.dnsServer) } : {}),
      headers: { host: spec.hostHeader ?? `${spec.host}:${spec.port}` },
    }, res => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => { body += d })
      res.on('end', () => {
        const status = res.statusCode ?? 0
        const text = body.trim()
        resolve({ ...base, status, body: text, ok: status >= 200 && status < 300 && accept(text) })
      })
      res.on('error', err => resolve({ ...base, status: res.statusCode ?? 0, error: `response: ${errorText(err)}`, ok: false }))
    })
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)))
    req.on('error', err => resolve({ ...base, error: errorText(err), ok: false }))
    req.end()
  })
}

function errorText(err: Error): string {
  const code = (err as { code?: string }).code
  return code ? `${code} ${err.message}` : err.message
}

/** What went wrong, grouped and with the first examples, for an assertion message. */
export function describeFailures(report: LoadReport, max = 12): string {
  if (report.failures.length === 0) return 'no failures'
  const kinds = new Map<string, number>()
  for (const f of report.failures) {
    const k = `${f.stream}: ${kindOf(f)}`
    kinds.set(k, (kinds.get(k) ?? 0) + 1)
  }
  const grouped = [...kinds].map(([k, n]) => `  ${n} × ${k}`).join('\n')
  const examples = report.failures.slice(0, max)
    .map(f => `  #${f.seq} at ${(f.sentMs / 1000).toFixed(2)} s via ${f.stream}: ${kindOf(f)}`).join('\n')
  return `${report.failures.length} of ${report.sent} requests failed:\n${grouped}\nfirst ones:\n${examples}`
}

function kindOf(f: Answer): string {
  if (f.error !== undefined) return `error ${f.error}`
  if (f.status !== undefined && (f.status < 200 || f.status >= 300)) return `status ${f.status} ${JSON.stringify((f.body ?? '').slice(0, 80))}`
  return `wrong body ${JSON.stringify((f.body ?? '').slice(0, 80))}`
}

/** One line per stream: sent, rate, failures. */
export function describeStreams(report: LoadReport): string {
  return report.streams.map(s => `${s.name}: ${s.sent} sent at ${s.ratePerSec}/s, ${s.failed} failed`).join('; ')
}
