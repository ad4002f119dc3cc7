// What a host listens on, read from `ss -Hltunp`, and which of it may be plain text
// (issue 12: nothing in a provisioned cluster listens in plain text on a non-loopback
// address but the web router's HTTP port). Pure: parsing and the rule; the test probes
// each listener the rule says must speak TLS.
import { isIP } from 'node:net'

export interface Listener {
  proto: 'tcp' | 'udp'
  /** As ss prints it without brackets or interface: '0.0.0.0', '::', '10.0.0.2', '::1'. */
  address: string
  port: number
  /** The first process name ss shows ('' when it shows none). */
  process: string
}

/** One listener per line of `ss -Hltunp` (tcp LISTEN and udp UNCONN sockets). */
export function parseSs(output: string): Listener[] {
  const out: Listener[] = []
  for (const line of output.split('\n')) {
    const cols = line.trim().split(/\s+/)
    if (cols.length < 5 || (cols[0] !== 'tcp' && cols[0] !== 'udp')) continue
    const local = cols[4]!
    const m = /^\[?([^\]]*?)(?:%[^\]:]+)?\]?:(\d+|\*)$/.exec(local)
    if (!m || m[2] === '*') continue
    const address = m[1] === '*' ? '0.0.0.0' : m[1]!
    out.push({ proto: cols[0], address, port: Number(m[2]), process: /users:\(\("([^"]+)"/.exec(line)?.[1] ?? '' })
  }
  return out
}

export type ListenerVerdict =
  | 'loopback'
  | 'app-port' // docker-proxy: a published port of a container, the app's own bytes
  | 'web-http' // the web router's HTTP port, allowed plain (it redirects to HTTPS)
  | 'web-https' // the web router's HTTPS port: TLS, with the certificates of the apps' names (not the cluster CA's)
  | 'container-facing' // on the docker bridge's gateway: the ambassador's DNS and link proxies for this host's containers
  | 'must-be-tls'
  | 'plain-udp' // a UDP socket on an address others reach: can never be TLS

export interface HostListenRules {
  /** The web router's plain HTTP listener, address:port. */
  webHttp: string
  /** The web router's HTTPS listener, address:port. */
  webHttps: string
  /** The host's docker bridge gateway. */
  dockerGateway: string
}

const isLoopback = (a: string) => a === '::1' || a.startsWith('127.') || a === 'localhost'

export function classifyListener(l: Listener, rules: HostListenRules): ListenerVerdict {
  if (isLoopback(l.address)) return 'loopback'
  if (l.process === 'docker-proxy') return 'app-port'
  if (l.address === rules.dockerGateway) return 'container-facing'
  if (l.proto === 'udp') return 'plain-udp'
  if (`${l.address}:${l.port}` === rules.webHttp) return 'web-http'
  if (`${l.address}:${l.port}` === rules.webHttps) return 'web-https'
  return 'must-be-tls'
}

/** Where to dial a listener from outside: a wildcard address is reached at the host's own. */
export function dialAddress(l: Listener, hostAddress: string): string {
  return l.address === '0.0.0.0' || l.address === '::' || !isIP(l.address) ? hostAddress : l.address
}

/**
 * Whether `host:port` speaks TLS: a handshake completes, or the server answers with a TLS
 * alert (the web router has no certificate for a bare address, and says so in TLS). A plain
 * server's bytes are no TLS record ("wrong version number").
 */
export async function speaksTls(host: string, port: number): Promise<{ ok: boolean; why?: string }> {
  const { connect } = await import('node:tls')
  return new Promise(resolve => {
    const socket = connect({ host, port, rejectUnauthorized: false, timeout: 5000 })
    const done = (r: { ok: boolean; why?: string }) => { socket.destroy(); resolve(r) }
    socket.once('secureConnect', () => done({ ok: true }))
    socket.once('timeout', () => done({ ok: false, why: 'no TLS handshake within 5 s' }))
    socket.once('error', (e: NodeJS.ErrnoException) => done(/alert/i.test(`${e.code ?? ''} ${e.message}`) ? { ok: true } : { ok: false, why: `not TLS: ${e.message}` }))
  })
}

/** Whether `host:port` completes a TLS handshake presenting a certificate the cluster CA signed (dialled with the admin's client pair). */
export async function speaksClusterTls(host: string, port: number, files: { ca: string; cert: string; key: string }): Promise<{ ok: boolean; why?: string }> {
  const { connect } = await import('node:tls')
  const { readFileSync } = await import('node:fs')
  return new Promise(resolve => {
    const socket = connect({ host, port, ca: readFileSync(files.ca), cert: readFileSync(files.cert), key: readFileSync(files.key), rejectUnauthorized: false, timeout: 5000 })
    const done = (r: { ok: boolean; why?: string }) => { socket.destroy(); resolve(r) }
    socket.once('secureConnect', () => done(socket.authorized ? { ok: true } : { ok: false, why: `TLS, but its certificate is not the cluster CA's: ${String(socket.authorizationError)}` }))
    socket.once('timeout', () => done({ ok: false, why: 'no TLS handshake within 5 s' }))
    socket.once('error', e => done({ ok: false, why: `not TLS: ${e.message}` }))
  })
}
