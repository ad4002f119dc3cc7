// The peers and load generators of the ambassador benchmark, each a child process:
// a keep-alive HTTP backend, HAProxy in TCP mode, dnsmasq, autocannon and dnsperf.
// Everything binds to 127.0.0.1 and stops with the run.
import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { startProcess, type StartedProcess } from '../test/support/processes.js'

const run = promisify(execFile)
export const workDir = mkdtempSync(join(tmpdir(), 'dokkaa-ambassador-bench-'))

/** A small node HTTP server with keep-alive, standing in for nginx. */
export function startHttpBackend(port: number): StartedProcess {
  const code = `require('http').createServer((q, s) => s.end('hello from dokkaa\\n')).listen(${port}, '127.0.0.1', () => console.log('listening'))`
  return startProcess(process.execPath, ['-e', code], {}, { name: 'backend' })
}

/** HAProxy, TCP mode, one thread like the ambassador's one event loop (the fair comparison). */
export function startHaproxy(listenPort: number, backendPort: number): StartedProcess {
  const cfg = join(workDir, 'haproxy.cfg')
  writeFileSync(cfg, [
    'global', '  nbthread 1', '  maxconn 4096',
    'defaults', '  mode tcp', '  timeout connect 3s', '  timeout client 60s', '  timeout server 60s',
    'frontend bench', `  bind 127.0.0.1:${listenPort}`, '  default_backend app',
    'backend app', `  server b1 127.0.0.1:${backendPort}`, '',
  ].join('\n'))
  return startProcess('haproxy', ['-db', '-f', cfg], {}, { name: 'haproxy' })
}

/** dnsmasq answering `hosts` (name → addresses) for the domain, nothing forwarded. */
export function startDnsmasq(port: number, domain: string, hosts: Map<string, string[]>): StartedProcess {
  const file = join(workDir, 'hosts')
  writeFileSync(file, [...hosts].flatMap(([name, addrs]) => addrs.map((a) => `${a} ${name}`)).join('\n') + '\n')
  return startProcess('dnsmasq', [
    '-C', '/dev/null', '--keep-in-foreground', '--no-resolv', '--no-hosts', `--addn-hosts=${file}`,
    '--listen-address=127.0.0.1', '--bind-interfaces', `--port=${port}`, `--local=/${domain}/`,
    '--pid-file=', '--user=root', '--cache-size=10000', '--log-facility=-',
  ], {}, { name: 'dnsmasq' })
}

export interface HttpLoad { rps: number; p50: number; p99: number; mbps: number; errors: number }

export async function autocannon(url: string, connections: number, seconds: number): Promise<HttpLoad> {
  const bin = join(process.cwd(), 'node_modules/autocannon/autocannon.js')
  const { stdout } = await run(process.execPath, [bin, '-j', '-c', String(connections), '-d', String(seconds), url], { maxBuffer: 64 << 20 })
  const r = JSON.parse(stdout) as { requests: { average: number }; latency: { p50: number; p99: number }; throughput: { average: number }; errors: number; non2xx: number }
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, mbps: (r.throughput.average * 8) / 1e6, errors: r.errors + r.non2xx }
}

export interface DnsLoad { qps: number; avg: number; p50: number; p99: number; lost: number; noerror: number }

/**
 * dnsperf over `queryFile`. `rate` undefined: as fast as the server goes (100
 * outstanding); else a fixed rate. Latencies in ms, from dnsperf -v's per-query lines.
 */
export async function dnsperf(port: number, queryFile: string, seconds: number, rate?: number): Promise<DnsLoad> {
  // Per-query lines only at a fixed rate: at full speed they would be millions.
  const args = ['-s', '127.0.0.1', '-p', String(port), '-d', queryFile, '-l', String(seconds)]
  if (rate) args.push('-Q', String(rate), '-v')
  const { stdout } = await run('dnsperf', args, { maxBuffer: 512 << 20 })
  const latencies: number[] = []
  let noerror = 0
  for (const line of stdout.split('\n')) {
    // "> NOERROR nginx.dummy.dokkaa.local A 0.000123"
    const m = line.match(/^> (\w+) \S+ \S+ ([\d.]+)$/)
    if (!m) continue
    if (m[1] === 'NOERROR') noerror++
    latencies.push(Number(m[2]) * 1000)
  }
  latencies.sort((a, b) => a - b)
  const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN
  const qps = Number(stdout.match(/Queries per second:\s+([\d.]+)/)?.[1] ?? NaN)
  const lost = Number(stdout.match(/Queries lost:\s+(\d+)/)?.[1] ?? NaN)
  const avg = Number(stdout.match(/Average Latency \(s\):\s+([\d.]+)/)?.[1] ?? NaN) * 1000
  return { qps, avg, p50: pct(0.5), p99: pct(0.99), lost, noerror }
}

/** Resident memory of a process in MB. */
export async function rssMb(pid: number): Promise<number> {
  const { stdout } = await run('cat', [`/proc/${pid}/status`])
  const kb = Number(stdout.match(/VmRSS:\s+(\d+) kB/)?.[1])
  return kb / 1024
}
