// TLS benchmark (issue 12, "TLS and least privilege"): what etcd TLS with client
// certificates and etcd RBAC costs, measured against the same cluster on plain http in
// the same run. Two clusters side by side on this Docker engine (bench/tls-bench-cluster.ts):
// "off", an etcd on plain http; "on", a TLS-only etcd with --client-cert-auth, the real roles
// and authentication on, each part with its own certificate. Each has a real conductor and
// a real ambassador. Measured (bench/tls-bench-samples.ts), interleaved off/on (which side
// goes first alternates per pair), in DOKKAA_BENCH_ROUNDS rounds (default 3):
//   put → running: etcd put of a scale-1 manifest → Docker's start event; then delete and
//     wait for the container's destroy before the next sample (DOKKAA_BENCH_RUNS per side, 15);
//   link proxy: bytes/s of a download (DOKKAA_BENCH_PROXY_MB, 64) from a container through
//     the ambassador's proxy port (DOKKAA_BENCH_PROXY_RUNS per side, 10); each round with
//     a new container and a new ambassador process on each side.
// Each round reports both sides' medians and on/off; then the median of the rounds' ratios and
// their range. A failed round is reported as failed and the next one runs.
//
//   npm run bench:tls     (needs dockerd, /usr/bin/etcd, openssl, curl and the test image; ~4-5 min)
import { randomBytes } from 'node:crypto'
import { EtcdPermissionDeniedError } from 'etcd3'
import { testDocker } from '../test/support/docker.js'
import { ms, percentile, printTable, ratio } from './stats.js'
import { permissionComplaints, startCluster, Teardown, type Cluster, type Side } from './tls-bench-cluster.js'
import { ContainerEvents, deployProxyApp, dropSampleApps, IMAGE, PROXY_BYTES, proxyThroughput, putToRunning, removeProxyApp } from './tls-bench-samples.js'

const ROUNDS = Number(process.env.DOKKAA_BENCH_ROUNDS ?? 3)
const RUNS = Number(process.env.DOKKAA_BENCH_RUNS ?? 15)
const PROXY_RUNS = Number(process.env.DOKKAA_BENCH_PROXY_RUNS ?? 10)
const SIDES: Side[] = ['off', 'on']

type PerSide = Record<Side, number[]>
/** One round of one measure: both sides' samples, or why it failed. */
type RoundResult = { samples: PerSide } | { failed: string }

/** `n` samples per side, off/on interleaved; the side that goes first alternates per pair. */
async function interleaved(clusters: Record<Side, Cluster>, n: number, round: number, sample: (c: Cluster, i: number) => Promise<number>): Promise<PerSide> {
  const out: PerSide = { off: [], on: [] }
  for (let i = 0; i < n; i++) {
    const order: Side[] = (i + round) % 2 === 0 ? ['off', 'on'] : ['on', 'off']
    for (const side of order) out[side].push(await sample(clusters[side], i))
  }
  return out
}

/**
 * A new link-proxy path for each round's samples: each side's file server container made
 * again and a new ambassador process, the sides in alternating order, so that no round's
 * ratio rests on the container or process a side happened to get at the start. (On this
 * shared 2-core machine one side's path has been 1.3-2× faster than the other's for a whole
 * run, which side varying from run to run: neither TLS nor etcd is on that path.)
 */
async function freshProxyPaths(clusters: Record<Side, Cluster>, round: number, events: ContainerEvents, proxyPort: Record<Side, number>): Promise<void> {
  for (const side of round % 2 === 0 ? SIDES : [...SIDES].reverse()) {
    await removeProxyApp(clusters[side], events)
    await clusters[side].restartAmbassador()
    proxyPort[side] = await deployProxyApp(clusters[side])
  }
}

async function measure(what: string, run: () => Promise<PerSide>, afterFailure: () => Promise<void>): Promise<RoundResult> {
  try {
    return { samples: await run() }
  } catch (err) {
    const failed = (err as Error).message.split('\n')[0]!
    console.error(`${what} failed: ${(err as Error).message}`)
    await afterFailure().catch((e: Error) => console.error(`cleanup after the failed ${what}: ${e.message}`))
    return { failed }
  }
}

const median = (xs: number[]): number => percentile(xs, 50)
const mbps = (bytesPerSecond: number): string => `${(bytesPerSecond / 1e6).toFixed(0)} MB/s`

/** Per-round table, and the rounds' on/off ratios (failed rounds have none). */
function reportRounds(title: string, rounds: RoundResult[], show: (v: number) => string): number[] {
  const ratios: number[] = []
  const rows = rounds.map((r, i) => {
    if ('failed' in r) return [String(i + 1), `failed: ${r.failed}`, '', '']
    const off = median(r.samples.off)
    const on = median(r.samples.on)
    ratios.push(on / off)
    return [String(i + 1), show(off), show(on), ratio(on, off)]
  })
  printTable(title, ['round', 'off (plain http etcd), median', 'on (TLS etcd + RBAC), median', 'on / off'], rows)
  return ratios
}

function summaryRow(what: string, ratios: number[], rounds: number, goal: string): string[] {
  if (ratios.length === 0) return [what, 'n/a', 'n/a', `0 of ${rounds}`, goal]
  const f = (x: number) => `${x.toFixed(2)}×`
  return [what, f(median(ratios)), `${f(Math.min(...ratios))}–${f(Math.max(...ratios))}`, `${ratios.length} of ${rounds}`, goal]
}

/** The TLS side must really refuse what the roles do not grant: the builder writing a host record. */
async function checkRbacIsOn(on: Cluster): Promise<void> {
  const err = await on.writer.put(on.keys.host(on.hostId)).value('{}').exec().then(() => undefined, (e: unknown) => e)
  if (!(err instanceof EtcdPermissionDeniedError)) throw new Error(`the TLS etcd let the builder write a host record (${String(err)}): RBAC is not on`)
}

async function main(t: Teardown): Promise<void> {
  process.env.DOCKER_API_VERSION ??= '1.41'
  const began = performance.now()
  const docker = testDocker()
  await docker.getImage(IMAGE).inspect().catch(() => { throw new Error(`image ${IMAGE} is missing: run test/bed/make-images.sh`) })
  const events = await ContainerEvents.open(docker)
  t.teardown(() => events.close())
  const runId = randomBytes(3).toString('hex')
  // One after the other: a failure leaves nothing starting behind the teardown's back.
  const clusters = { off: await startCluster('off', runId, t), on: await startCluster('on', runId, t) }
  await checkRbacIsOn(clusters.on)

  // Set-up, not measured: each side's proxied file server, and one warm-up sample of each kind.
  const proxyPort = { off: await deployProxyApp(clusters.off), on: await deployProxyApp(clusters.on) }
  for (const side of SIDES) {
    await putToRunning(clusters[side], events, 'warm')
    await proxyThroughput(proxyPort[side])
  }

  const puts: RoundResult[] = []
  const proxies: RoundResult[] = []
  for (let round = 0; round < ROUNDS; round++) {
    console.error(`round ${round + 1} of ${ROUNDS}…`)
    puts.push(await measure(`round ${round + 1} put → running`,
      () => interleaved(clusters, RUNS, round, (c, i) => putToRunning(c, events, `r${round}-${i}`)),
      async () => { for (const side of SIDES) await dropSampleApps(clusters[side], docker) }))
    proxies.push(await measure(`round ${round + 1} link proxy`,
      async () => {
        await freshProxyPaths(clusters, round, events, proxyPort)
        return interleaved(clusters, PROXY_RUNS, round, c => proxyThroughput(proxyPort[c.side]))
      },
      async () => undefined))
  }

  const putRatios = reportRounds(`manifest put → container start event (${RUNS} samples per side per round, image ${IMAGE})`, puts, ms)
  const proxyRatios = reportRounds(`link proxy throughput, one ${PROXY_BYTES / 1024 / 1024} MiB download from a container through the ambassador (${PROXY_RUNS} per side per round)`, proxies, mbps)
  printTable(`TLS etcd with client certificates and RBAC (on) vs plain http etcd (off), ${ROUNDS} rounds`,
    ['measure', 'on / off, median of rounds', 'range of rounds', 'rounds measured', 'goal'], [
      summaryRow('put → running (median)', putRatios, ROUNDS, '≤ 1.1×'),
      summaryRow('link proxy bytes/s (median)', proxyRatios, ROUNDS, '≈ 1.0× (app bytes only)'),
    ])
  const complaints = SIDES.map(s => permissionComplaints(clusters[s])).filter(Boolean)
  if (complaints.length > 0) console.log(`\nWARNING: a part logged "permission denied":\n${complaints.join('\n')}`)
  console.log(`\n(whole run ${((performance.now() - began) / 1000).toFixed(0)} s)`)
}

const teardown = new Teardown()
let cleaning: Promise<void> | undefined
const cleanUp = (): Promise<void> => (cleaning ??= teardown.run().then(problems => {
  for (const p of problems) console.error(`cleanup: ${p}`)
}))
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => { void cleanUp().finally(() => process.exit(130)) })
}
try {
  await main(teardown)
} catch (err) {
  console.error(`bench failed: ${(err as Error).message}`)
  process.exitCode = 1
} finally {
  await cleanUp()
}
