// Test fixtures of the ambassador's integration tests: free loopback ports, an
// in-process ambassador on them, records written as a conductor would write them,
// busybox backends published on 127.0.0.1, a stub upstream DNS server, and dig.
import { execFile } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { createServer } from 'node:net'
import { request, type Agent, type IncomingHttpHeaders } from 'node:http'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import dns2 from 'dns2'
import { pino } from 'pino'
import { KeyLayout } from '../../schemas/index.js'
import { testDocker, removeContainersByLabel } from '../../test/support/docker.js'
import { testEtcd, type TestEtcd } from '../../test/support/etcd.js'
import { allocateServicePort } from '../../test/support/port-allocation.js'
import { TEST_IMAGE } from '../../test/support/images.js'
import type { TeardownHost } from '../../test/support/teardown-host.js'
import { waitFor } from '../../test/support/wait-for.js'
import { startAmbassador, type RunningAmbassador } from '../ambassador.js'
import type { AmbassadorConfig } from '../config.js'

const run = promisify(execFile)
export const TEST_LABEL = 'io.dokkaa.test.ambassador'

function tcpFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer()
    s.once('error', () => resolve(false))
    s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(true)))
  })
}

function udpFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4')
    s.once('error', () => { s.close(); resolve(false) })
    s.bind(port, host, () => s.close(() => resolve(true)))
  })
}

const randomIn = (from: number, to: number): number => from + Math.floor(Math.random() * (to - from + 1))

/** A port free on 127.0.0.1 for both TCP and UDP (a DNS server needs both). */
export async function freeDnsPort(): Promise<number> {
  for (;;) {
    const p = randomIn(40000, 59999)
    if (await tcpFree(p) && await udpFree(p)) return p
  }
}

export async function freeTcpPort(): Promise<number> {
  for (;;) {
    const p = randomIn(40000, 59999)
    if (await tcpFree(p)) return p
  }
}

/** A block of `size` TCP ports all free now, below the ephemeral range, for --port-range. */
export async function freePortBlock(size = 10): Promise<{ from: number; to: number }> {
  for (;;) {
    const from = randomIn(22000, 31000)
    let ok = true
    for (let p = from; p < from + size && ok; p++) ok = await tcpFree(p)
    if (ok) return { from, to: from + size - 1 }
  }
}

export interface AmbassadorFixture {
  etcd: TestEtcd
  keys: KeyLayout
  config: AmbassadorConfig
  ambassador: RunningAmbassador
  dnsPort: number
  webPort: number
  /** Writes a skydns record as a conductor would. */
  announce(app: string, service: string, leaf: string, value: { host: string; port: number; role?: 'web' | 'tcp' }): Promise<void>
  withdraw(app: string, service: string, leaf: string): Promise<void>
  /** Waits until the ambassador's proxy listens on the service's allocated port, and returns it. */
  proxyPort(app: string, service: string): Promise<number>
}

export async function startAmbassadorFixture(t: TeardownHost, overrides: Partial<AmbassadorConfig> = {}): Promise<AmbassadorFixture> {
  const etcd = testEtcd(t)
  const keys = new KeyLayout(etcd.prefix)
  const dnsPort = await freeDnsPort()
  const webPort = await freeTcpPort()
  const config: AmbassadorConfig = {
    etcd: etcd.hosts, prefix: etcd.prefix, domain: 'dokkaa.local',
    dnsListen: [{ address: '127.0.0.1', port: dnsPort }], proxyListen: ['127.0.0.1'],
    portRange: await freePortBlock(), upstream: undefined, upstreamTimeoutMs: 1000, ttl: 5,
    webListen: [{ address: '127.0.0.1', port: webPort }], logLevel: 'warn', ...overrides,
  }
  const log = pino({ level: process.env.DOKKAA_TEST_ECHO === '1' ? 'debug' : 'silent' })
  const ambassador = await startAmbassador(config, log)
  t.teardown(() => ambassador.close())
  return {
    etcd, keys, config, ambassador, dnsPort, webPort,
    announce: async (app, service, leaf, value) => {
      // The scheduler's part (it claims a port for every service it places).
      await allocateServicePort(etcd.client, keys, app, service, config.portRange)
      await etcd.client.put(keys.skydns(app, service, leaf)).value(JSON.stringify(value))
    },
    withdraw: async (app, service, leaf) => { await etcd.client.delete().key(keys.skydns(app, service, leaf)) },
    proxyPort: async (app, service) => {
      const port = await waitFor(() => ambassador.current().table.service(app, service)?.port, { what: `a port for ${app}/${service}` })
      await waitFor(() => ambassador.proxyPorts().includes(port), { what: `the proxy listening on ${port}` })
      return port
    },
  }
}

export function uniqueApp(stem = 'app'): string {
  return `${stem}-${randomBytes(3).toString('hex')}`
}

export interface Backend { id: string; hostname: string; port: number }

/** A busybox httpd container published on 127.0.0.1; serves "instance <hostname>" at /host.txt. */
export async function startBusybox(t: TeardownHost, runId: string): Promise<Backend> {
  const docker = testDocker()
  t.teardown(() => removeContainersByLabel(TEST_LABEL, runId))
  const c = await docker.createContainer({
    Image: TEST_IMAGE,
    Labels: { [TEST_LABEL]: runId },
    ExposedPorts: { '80/tcp': {} },
    HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
  })
  await c.start()
  const info = await c.inspect()
  const port = Number(info.NetworkSettings.Ports['80/tcp']?.[0]?.HostPort)
  const hostname = info.Config.Hostname
  await waitFor(async () => (await fetchText(`http://127.0.0.1:${port}/host.txt`)).includes(hostname), { what: `busybox ${hostname} serving`, timeoutMs: 30_000 })
  return { id: c.id, hostname, port }
}

export async function fetchText(url: string, init?: RequestInit): Promise<string> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) })
  return (await res.text()).trim()
}

/** A stub upstream DNS server on loopback: every A question gets 192.0.2.123. */
export async function startStubUpstream(t: TeardownHost): Promise<{ port: number; queries: string[] }> {
  const queries: string[] = []
  const server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const response = dns2.Packet.createResponseFromRequest(request)
      const q = request.questions[0]!
      queries.push(q.name)
      response.header.ra = 1
      if (q.type === dns2.Packet.TYPE.A) response.answers.push({ name: q.name, type: dns2.Packet.TYPE.A, class: dns2.Packet.CLASS.IN, ttl: 300, address: '192.0.2.123' } as never)
      send(response)
    },
  })
  const port = await freeDnsPort()
  await server.listen({ udp: { port, address: '127.0.0.1' } })
  t.teardown(() => server.close())
  return { port, queries }
}

/** `dig` against a server on 127.0.0.1; returns the full text output. */
export async function dig(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=5', ...args])
  return stdout
}

/** `dig +short` lines, sorted. */
export async function digShort(port: number, ...args: string[]): Promise<string[]> {
  const out = await dig(port, '+short', ...args)
  return out.split('\n').map((l) => l.trim()).filter(Boolean).sort()
}

export interface Reply { status: number; body: string; headers: IncomingHttpHeaders; reused: boolean }

/** One HTTP request to 127.0.0.1:port with the given Host header, on its own connection unless an agent is given. */
export function httpGet(port: number, host: string, path = '/', agent?: Agent, accept = '*/*'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host, accept }, agent: agent ?? false, timeout: 10_000 }, (res) => {
      let body = ''
      res.on('data', (d) => { body += d })
      res.on('end', () => resolve({ status: res.statusCode!, body: body.trim(), headers: res.headers, reused: req.reusedSocket }))
    })
    req.on('error', reject)
    req.end()
  })
}
