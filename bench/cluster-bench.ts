// Cluster benchmark: `dokkaacfg up --scale=3` wall time, and failover — the time from a
// host crashing to its instances running on the other hosts, as seen by polling the
// surviving engines — beside Docker Swarm mode on the same namespace hosts, in the same
// run. Goal: failover under 7 s with default settings, faster than Swarm mode.
// Run as root: node --import tsx bench/cluster-bench.ts   (BENCH_RUNS=3, BENCH_REPLICAS=6)
import Docker from 'dockerode'
import { percentile, printTable, ratio } from './stats.js'
import { dokkaaFailover, type FailoverSample } from './cluster-bench-dokkaa.js'
import { swarmFailover } from './cluster-bench-swarm.js'

const IMAGE = 'dokkaa/busybox:test'
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const REPLICAS = Number(process.env.BENCH_REPLICAS ?? 6)

const s = (n: number) => `${(n / 1000).toFixed(1)} s`

/** A run whose set-up fails (a daemon that did not start) is tried once more: set-up is not what is measured. */
async function twice<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (e) {
    console.error(`${what} failed (${(e as Error).message}); once more`)
    return fn()
  }
}

async function main(): Promise<void> {
  process.env.DOCKER_API_VERSION ??= '1.41'
  if (process.getuid?.() !== 0) throw new Error('the cluster benchmark makes namespaces and dockerds: run it as root')
  await new Docker({ socketPath: '/var/run/docker.sock' }).getImage(IMAGE).inspect()
    .catch(() => { throw new Error(`image ${IMAGE} is missing: run test/bed/make-images.sh`) })
  const dokkaa: FailoverSample[] = []
  const swarm: FailoverSample[] = []
  for (let r = 1; r <= RUNS; r++) {
    // Interleaved, so a busy moment of the machine does not land on one side only.
    const d = await twice('dokkaa', () => dokkaaFailover(IMAGE, REPLICAS))
    dokkaa.push(d)
    console.error(`run ${r}: dokkaa up ${s(d.upMs)}, failover ${s(d.failoverMs)} (${d.victim}, ${d.moved} moved), scheduler's host ${d.leaderFailoverMs === undefined ? 'n/a' : s(d.leaderFailoverMs)}`)
    const w = await twice('swarm', () => swarmFailover(IMAGE, REPLICAS))
    swarm.push(w)
    console.error(`run ${r}: swarm up ${s(w.upMs)}, failover ${s(w.failoverMs)} (${w.victim}, ${w.moved} moved)`)
  }
  type Key = 'upMs' | 'failoverMs' | 'leaderFailoverMs'
  const vals = (xs: FailoverSample[], k: Key) => xs.map(x => x[k]).filter((v): v is number => v !== undefined)
  const med = (xs: FailoverSample[], k: Key) => percentile(vals(xs, k), 50)
  const range = (xs: FailoverSample[], k: Key) => `${s(Math.min(...vals(xs, k)))}–${s(Math.max(...vals(xs, k)))}`
  printTable(`Three namespace hosts, ${REPLICAS} replicas of ${IMAGE}, median of ${RUNS} runs`, ['measure', 'Dokkaa', 'Swarm mode', 'Dokkaa / Swarm'], [
    ['cluster up (Dokkaa: `dokkaacfg up --scale=3` with etcd, registry, builder; Swarm: 3 hosts + init + 2 joins)',
      `${s(med(dokkaa, 'upMs'))} (${range(dokkaa, 'upMs')})`, `${s(med(swarm, 'upMs'))} (${range(swarm, 'upMs')})`, ratio(med(dokkaa, 'upMs'), med(swarm, 'upMs'))],
    ['failover: host crash → all replicas running on the others',
      `${s(med(dokkaa, 'failoverMs'))} (${range(dokkaa, 'failoverMs')})`, `${s(med(swarm, 'failoverMs'))} (${range(swarm, 'failoverMs')})`, ratio(med(dokkaa, 'failoverMs'), med(swarm, 'failoverMs'))],
    ['then the scheduler\'s own host crashes → all replicas on the last host',
      vals(dokkaa, 'leaderFailoverMs').length ? `${s(med(dokkaa, 'leaderFailoverMs'))} (${range(dokkaa, 'leaderFailoverMs')})` : 'n/a', 'n/a (its one manager)', ''],
  ])
  const f = med(dokkaa, 'failoverMs')
  console.log(`\nGoal: failover under 7 s (${f < 7000 ? 'met' : 'MISSED'}: ${s(f)}) and faster than Swarm mode (${f < med(swarm, 'failoverMs') ? 'met' : 'MISSED'}).`)
}

await main()
