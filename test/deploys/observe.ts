// What the zero-downtime tests watch besides the client's answers: Docker's own record
// of a stop (events: kill with its signal, die with its exit code, each with Docker's
// timestamp), a container's log followed live (the conductor removes a stopped
// container, and its logs with it), and the ambassador's DNS answers.
import type Docker from 'dockerode'
import { PassThrough } from 'node:stream'
import { LABELS } from '../../schemas/index.js'
import { dig, digShort } from '../../ambassador/testing/fixtures.js'
import type { TeardownHost } from '../support/teardown-host.js'
import { DOMAIN } from './cluster.js'

export interface EngineEvent {
  action: string
  id: string
  name: string
  /** kill events: the signal number Docker sent ("15", "9"). */
  signal?: string
  /** die events: the exit code. */
  exitCode?: number
  /** Docker's clock, nanoseconds. */
  timeNano: bigint
  labels: Record<string, string>
}

export interface EventLog {
  readonly events: EngineEvent[]
  of(id: string): EngineEvent[]
}

/** Container events of one host id (by label), from now until the test ends. */
export async function watchEvents(t: TeardownHost, docker: Docker, hostId: string): Promise<EventLog> {
  const events: EngineEvent[] = []
  const stream = await docker.getEvents({ filters: { type: ['container'], label: [`${LABELS.host}=${hostId}`] } }) as NodeJS.ReadableStream & { destroy(): void }
  t.teardown(() => stream.destroy())
  let buf = ''
  stream.on('data', (chunk: Buffer) => {
    buf += chunk.toString('utf8')
    let nl: number
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim()
      buf = buf.slice(nl + 1)
      if (line) events.push(toEvent(JSON.parse(line) as RawEvent))
    }
  })
  stream.on('error', () => undefined)
  return { events, of: id => events.filter(e => e.id === id) }
}

interface RawEvent { Action: string; id?: string; timeNano: number; Actor: { ID: string; Attributes: Record<string, string> } }

function toEvent(e: RawEvent): EngineEvent {
  const a = e.Actor.Attributes
  return {
    action: e.Action, id: e.Actor.ID, name: a['name'] ?? '',
    ...(a['signal'] !== undefined ? { signal: a['signal'] } : {}),
    ...(a['exitCode'] !== undefined ? { exitCode: Number(a['exitCode']) } : {}),
    // JSON numbers lose nanosecond precision; milliseconds are all we compare.
    timeNano: BigInt(Math.round(e.timeNano)), labels: a,
  }
}

/** One line per event, for assertion messages. */
export function describeEvents(events: EngineEvent[]): string {
  if (events.length === 0) return '(no events)'
  const t0 = events[0]!.timeNano
  return events.map(e => `  +${Number((e.timeNano - t0) / 1_000_000n)} ms ${e.action}${e.signal ? ` signal=${e.signal}` : ''}${e.exitCode !== undefined ? ` exitCode=${e.exitCode}` : ''} ${e.name}`).join('\n')
}

export interface FollowedLog {
  text(): string
  /** Lines containing `needle`, after the first line containing `after` (all lines if not given). */
  count(needle: string, after?: string): number
}

/** Follows a container's stdout and stderr from its start, live, until it ends or the test does. */
export async function followLogs(t: TeardownHost, docker: Docker, id: string): Promise<FollowedLog> {
  let text = ''
  const raw = await docker.getContainer(id).logs({ follow: true, stdout: true, stderr: true }) as unknown as NodeJS.ReadableStream & { destroy(): void }
  const sink = new PassThrough()
  sink.on('data', (d: Buffer) => { text += d.toString('utf8') })
  docker.modem.demuxStream(raw, sink, sink)
  raw.on('error', () => undefined)
  t.teardown(() => raw.destroy())
  return {
    text: () => text,
    count(needle, after) {
      let lines = text.split('\n')
      if (after !== undefined) {
        const at = lines.findIndex(l => l.includes(after))
        lines = at < 0 ? [] : lines.slice(at + 1)
      }
      return lines.filter(l => l.includes(needle)).length
    },
  }
}

/** The ports of the SRV answer for <service>.<app> (one per instance in the ambassador's table). */
export async function srvPorts(dnsPort: number, app: string, service: string): Promise<number[]> {
  const lines = await digShort(dnsPort, 'SRV', `${service}.${app}.${DOMAIN}`)
  return lines.map(l => Number(l.split(/\s+/)[2])).filter(Number.isInteger).sort((a, b) => a - b)
}

/** The status line of `dig` for one instance's own name: NOERROR while it is served, NXDOMAIN once withdrawn. */
export async function instanceNameStatus(dnsPort: number, leaf: string, app: string, service: string): Promise<string> {
  const out = await dig(dnsPort, 'A', `${leaf}.${service}.${app}.${DOMAIN}`)
  return /status: (\w+)/.exec(out)?.[1] ?? `no status in: ${out}`
}
