// Ambassador benchmark, one run, peers side by side on loopback:
//   proxy: autocannon → (direct | ambassador | HAProxy, TCP mode, 1 thread) → keep-alive node backend
//   DNS:   dnsperf → (ambassador | dnsmasq) for the same 250 names (1,000 instance records)
//   RSS of the ambassador holding those 1,000 records (and their 251 proxy listeners).
// Run: node --import tsx bench/ambassador-bench.ts  (needs haproxy, dnsperf, dnsmasq-base;
// etcd at DOKKAA_TEST_ETCD or 127.0.0.1:23790). It builds the project (tsc → dist/) and
// runs the compiled bin. Numbers go into docs/ambassador.md.
import { writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { KeyLayout } from '../schemas/index.js'
import { testEtcd } from '../test/support/etcd.js'
import { execFileSync } from 'node:child_process'
import { PROJECT_ROOT, startProcess, type StartedProcess } from '../test/support/processes.js'
import { waitFor } from '../test/support/wait-for.js'
import { freeDnsPort, freePortBlock, freeTcpPort } from '../ambassador/testing/fixtures.js'
import { autocannon, dnsperf, rssMb, startDnsmasq, startHaproxy, startHttpBackend, workDir, type DnsLoad, type HttpLoad } from './ambassador-bench-tools.js'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const CONNECTIONS = 50
const FIXED_QPS = 2000
const SERVICES = 250
const INSTANCES = 4
const DOMAIN = 'dokkaa.local'

const procs: StartedProcess[] = []
const etcd = testEtcd()
const keys = new KeyLayout(etcd.prefix)

async function main(): Promise<void> {
  const backendPort = await freeTcpPort()
  const haproxyPort = await freeTcpPort()
  const ambDns = await freeDnsPort()
  const masqDns = await freeDnsPort()
  const block = await freePortBlock(SERVICES + 1)

  const backend = startHttpBackend(backendPort); procs.push(backend)
  await backend.waitForLine('listening')

  // 1,000 instance records as conductors would write them, and each service's port.
  const hosts = new Map<string, string[]>()
  const puts: [string, string][] = []
  for (let s = 0; s < SERVICES; s++) {
    const app = `bapp${s % 25}`
    const service = `svc${s}`
    const addrs: string[] = []
    for (let i = 0; i < INSTANCES; i++) {
      const host = `10.${200 + i}.${s >> 8}.${s & 255}`
      addrs.push(host)
      puts.push([keys.skydns(app, service, `${service}-${i}`), JSON.stringify({ host, port: 32768 + i })])
    }
    hosts.set(`${service}.${app}.${DOMAIN}`, addrs)
    puts.push([keys.port(app, service), String(block.from + 1 + s)])
  }
  puts.push([keys.skydns('bench', 'web', 'web-0'), JSON.stringify({ host: '127.0.0.1', port: backendPort })])
  puts.push([keys.port('bench', 'web'), String(block.from)])
  for (let i = 0; i < puts.length; i += 64) {
    await Promise.all(puts.slice(i, i + 64).map(([k, v]) => etcd.client.put(k).value(v)))
  }

  // The compiled bin, as installed hosts run it (tsx would add its compiler to the RSS).
  execFileSync(process.execPath, [join(PROJECT_ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(PROJECT_ROOT, 'tsconfig.json')], { stdio: 'ignore' })
  const ambassador = startProcess(process.execPath, [join(PROJECT_ROOT, 'dist/ambassador/main.js'),
    '--etcd', etcd.hosts.join(','), '--prefix', etcd.prefix, '--dns-listen', `127.0.0.1:${ambDns}`,
    '--proxy-listen', '127.0.0.1', '--port-range', `${block.from}-${block.to}`, '--upstream', 'none',
    '--web-listen', 'none', '--log-level', 'warn',
  ], {}, { name: 'ambassador', cwd: PROJECT_ROOT })
  procs.push(ambassador)
  const proxyPort = block.from
  await waitFor(() => new Promise<boolean>((resolve) => {
    const s = connect(proxyPort, '127.0.0.1', () => { s.destroy(); resolve(true) })
    s.on('error', () => resolve(false))
  }), { timeoutMs: 60_000, what: 'the ambassador proxy listening' })
  const rssLoaded = await rssMb(ambassador.pid)

  const haproxy = startHaproxy(haproxyPort, backendPort); procs.push(haproxy)
  await waitFor(async () => (await fetch(`http://127.0.0.1:${haproxyPort}/`).then((r) => r.ok, () => false)), { what: 'haproxy' })

  // Proxy: warm up each path, then two interleaved rounds; the better of the two counts
  // (other work on this shared machine only ever makes a round slower).
  const targets: [string, string][] = [['direct', `http://127.0.0.1:${backendPort}/`], ['ambassador', `http://127.0.0.1:${proxyPort}/`], ['haproxy', `http://127.0.0.1:${haproxyPort}/`]]
  for (const [, url] of targets) await autocannon(url, CONNECTIONS, 2)
  const http = new Map<string, HttpLoad>()
  for (let round = 0; round < 2; round++) {
    for (const [name, url] of targets) {
      const r = await autocannon(url, CONNECTIONS, SECONDS)
      if (!http.has(name) || r.rps > http.get(name)!.rps) http.set(name, r)
    }
  }

  // DNS: the same names from both servers.
  const masq = startDnsmasq(masqDns, DOMAIN, hosts); procs.push(masq)
  const queries = join(workDir, 'queries.txt')
  writeFileSync(queries, [...hosts.keys()].map((n) => `${n} A`).join('\n') + '\n')
  await waitFor(async () => (await dnsperf(masqDns, queries, 1)).noerror >= 0, { what: 'dnsmasq' })
  const dns = new Map<string, { max: DnsLoad; fixed: DnsLoad }>()
  for (const [name, port] of [['ambassador', ambDns], ['dnsmasq', masqDns]] as const) {
    await dnsperf(port, queries, 2) // warm-up
    const max = await dnsperf(port, queries, SECONDS)
    const fixed = await dnsperf(port, queries, SECONDS, FIXED_QPS)
    dns.set(name, { max, fixed })
  }
  const rssAfter = await rssMb(ambassador.pid)

  const f = (n: number, d = 0): string => Number.isFinite(n) ? n.toFixed(d) : '-'
  const out: string[] = []
  out.push(`TCP proxy (autocannon, ${CONNECTIONS} connections, ${SECONDS} s, best of 2; HTTP keep-alive backend)`)
  out.push('| path | req/s | p50 ms | p99 ms | Mbit/s | errors |', '|---|---|---|---|---|---|')
  for (const [name, r] of http) out.push(`| ${name} | ${f(r.rps)} | ${f(r.p50, 1)} | ${f(r.p99, 1)} | ${f(r.mbps, 1)} | ${r.errors} |`)
  const ratio = http.get('ambassador')!.rps / http.get('haproxy')!.rps
  out.push(`ambassador / haproxy: ${(ratio * 100).toFixed(0)}% (goal ≥ 80%)`, '')
  out.push(`DNS (dnsperf, ${SERVICES} names x ${INSTANCES} A records, ${SECONDS} s; latency at a fixed ${FIXED_QPS} q/s)`)
  out.push('| server | max q/s | avg ms at max | p50 ms at fixed | p99 ms at fixed | lost |', '|---|---|---|---|---|---|')
  for (const [name, r] of dns) out.push(`| ${name} | ${f(r.max.qps)} | ${f(r.max.avg, 2)} | ${f(r.fixed.p50, 3)} | ${f(r.fixed.p99, 3)} | ${r.max.lost + r.fixed.lost} |`)
  const dnsRatio = dns.get('ambassador')!.max.qps / dns.get('dnsmasq')!.max.qps
  out.push(`ambassador / dnsmasq: ${(dnsRatio * 100).toFixed(0)}% (goal ≥ 50%); ambassador p99 at ${FIXED_QPS} q/s: ${f(dns.get('ambassador')!.fixed.p99, 3)} ms (goal < 2 ms)`, '')
  out.push(`Ambassador RSS with ${SERVICES * INSTANCES + 1} records and ${SERVICES + 1} proxy listeners: ${f(rssLoaded, 1)} MB after load, ${f(rssAfter, 1)} MB after the runs (goal < 100 MB)`)
  console.log(out.join('\n'))
}

try {
  await main()
} finally {
  for (const p of procs.reverse()) await p.stop()
  await etcd.cleanup()
}
