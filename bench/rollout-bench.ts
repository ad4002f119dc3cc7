// Rollout benchmark: an update of 3 instances under load (200 requests/s: Dokkaa's
// through its web router and link proxy, Swarm's through its published port), Dokkaa
// vs Docker Swarm mode, on the same engine — the dockerd of one network-namespace host,
// so the machine's main engine never joins a swarm — with the same image, the same
// health check timing and start-first updates one at a time. The sides take turns
// sample by sample (Dokkaa, Swarm, Dokkaa, ...) so a busy moment of the machine does not
// land on one side only. Every round is reported, failed ones too.
// Goal (issue 10): zero failed requests for Dokkaa in every round, and a rollout no
// slower than Swarm's.
// Run as root: node --import tsx bench/rollout-bench.ts   (BENCH_RUNS=3, BENCH_MONITOR_S=5,
// BENCH_SIDES=dokkaa,swarm)
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Docker from 'dockerode'
import { NetnsLab } from '../cfg-cli/netns-lab.js'
import { freeSubnet, randomLabName, testRunDir } from '../cfg-cli/lab-test-support.js'
import { ROLLOUT_IMAGE } from '../test/support/images.js'
import { DokkaaSide } from './rollout-bench-dokkaa.js'
import { MONITOR_S, RATE, REPLICAS, sample, type RolloutSample, type Side } from './rollout-bench-sample.js'
import { SwarmSide } from './rollout-bench-swarm.js'
import { percentile, printTable } from './stats.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const SIDES = (process.env.BENCH_SIDES ?? 'dokkaa,swarm').split(',').map(s => s.trim())

const s = (ms: number | undefined) => ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`

/** Runs the teardowns registered by startCluster, last first, like tap. */
class Teardowns {
  private readonly fns: (() => unknown)[] = []
  teardown(fn: () => unknown): void { this.fns.push(fn) }
  async run(): Promise<void> {
    for (const fn of this.fns.reverse()) await Promise.resolve().then(fn).catch(err => console.error(`teardown: ${(err as Error).message}`))
  }
}

function summary(xs: RolloutSample[]): string[] {
  const good = xs.filter(x => x.wallMs !== undefined)
  const walls = good.map(x => x.wallMs!)
  const fails = xs.map(x => x.failed)
  return [
    `${xs.length - good.length} of ${xs.length}`,
    `${percentile(fails, 50)} (${Math.min(...fails)}–${Math.max(...fails)})`,
    walls.length ? `${s(percentile(walls, 50))} (${s(Math.min(...walls))}–${s(Math.max(...walls))})` : '—',
  ]
}

async function main(): Promise<void> {
  process.env.DOCKER_API_VERSION ??= '1.41'
  if (process.getuid?.() !== 0) throw new Error('the rollout benchmark makes a namespace host with its own dockerd: run it as root')
  await new Docker({ socketPath: '/var/run/docker.sock' }).getImage(ROLLOUT_IMAGE).inspect()
    .catch(() => { throw new Error(`image ${ROLLOUT_IMAGE} is missing: run test/bed/make-images.sh`) })

  const name = randomLabName('dkr')
  const dataDir = mkdtempSync(join(tmpdir(), 'dokkaa-rollout-bench-'))
  const lab = NetnsLab.define({ name, subnet: await freeSubnet(), dataDir, runDir: testRunDir(name) })
  const teardowns = new Teardowns()
  const samples: RolloutSample[] = []
  let cleaned: Promise<void> | undefined
  const cleanup = () => cleaned ??= (async () => {
    await teardowns.run()
    await lab.destroy().catch(err => console.error(`lab teardown: ${(err as Error).message}`))
    rmSync(dataDir, { recursive: true, force: true })
  })()
  // Ctrl-C must not leave the namespace host, its dockerd and swarm, or the processes behind.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => { void cleanup().finally(() => process.exit(130)) })
  }
  try {
    await lab.ensureBridge()
    await lab.addHost(1)
    await lab.copyImage(ROLLOUT_IMAGE)
    const sides: Side[] = []
    if (SIDES.includes('dokkaa')) sides.push(await DokkaaSide.start(teardowns, lab, 1))
    if (SIDES.includes('swarm')) sides.push(await SwarmSide.start(lab, 1))
    for (let round = 1; round <= RUNS; round++) {
      for (const side of sides) {
        const x = await sample(side, round)
        samples.push(x)
        console.error(`round ${round} ${x.side}: ${x.error ? `FAILED (${x.error}); ` : ''}wall ${s(x.wallMs)}, all-new ${s(x.allNewMs)}, ` +
          `${x.failed} of ${x.sent} requests failed${x.failed ? `\n${x.failures}` : ''}`)
      }
    }
  } finally {
    await cleanup()
  }

  const title = `Update of ${REPLICAS} instances under load (${2 * RATE} requests/s), start-first one at a time, health every 1 s, monitor ${MONITOR_S} s, same engine`
  printTable(`${title}: every round`, ['round', 'side', 'failed requests', 'rollout wall time', 'all-new after', 'note'],
    samples.map(x => [String(x.round), x.side, `${x.failed} of ${x.sent}`, s(x.wallMs), s(x.allNewMs), x.error ? `FAILED: ${x.error}` : '']))
  printTable(`${title}: median (range) of ${RUNS} rounds`, ['side', 'failed rounds', 'failed requests', 'rollout wall time'],
    [...new Set(samples.map(x => x.side))].map(side => [side, ...summary(samples.filter(x => x.side === side))]))
  const d = samples.filter(x => x.side === 'Dokkaa')
  const w = samples.filter(x => x.side === 'Swarm mode')
  if (d.length && w.length) {
    const zero = d.every(x => !x.error && x.failed === 0)
    const dw = percentile(d.filter(x => x.wallMs !== undefined).map(x => x.wallMs!), 50)
    const sw = percentile(w.filter(x => x.wallMs !== undefined).map(x => x.wallMs!), 50)
    console.log(`\nGoal: zero failed requests for Dokkaa in every round (${zero ? 'met' : 'MISSED'}), ` +
      `rollout no slower than Swarm mode's (${Number.isFinite(dw) && dw <= sw ? 'met' : 'MISSED'}: ${s(Number.isFinite(dw) ? dw : undefined)} vs ${s(Number.isFinite(sw) ? sw : undefined)}).`)
  }
}

await main()
