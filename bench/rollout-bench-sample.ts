// What one sample of the rollout benchmark measures, the same way for both sides: a
// steady load (100 requests/s through each of two paths, 200 in all) runs from before the update until a
// stretch after it settled; the wall time runs from the update command to the moment
// the engine runs exactly three containers of the workload, all on the new version, and
// the orchestrator itself says the update is over. Polled every 100 ms.
import type Docker from 'dockerode'
import { describeFailures, type Load, type LoadReport, type StreamSpec } from '../test/deploys/load.js'

export const REPLICAS = 3
/** Requests/s through each path (Dokkaa: router and link proxy; Swarm: the published port, twice). */
export { RATE } from '../test/deploys/steps.js'
export const POLL_MS = 100
export const SETTLE_TIMEOUT_MS = 300_000

/** update.monitor / --update-monitor: both sides' default. */
export const MONITOR_S = Number(process.env.BENCH_MONITOR_S ?? 5)

export interface RolloutSample {
  side: 'Dokkaa' | 'Swarm mode'
  round: number
  /** Update command → all-new and the orchestrator says done (ms); absent when the round failed. */
  wallMs?: number
  /** Update command → exactly three containers, all new (ms). */
  allNewMs?: number
  sent: number
  failed: number
  /** Why the round failed (it still reports its requests). */
  error?: string
  failures: string
}

export interface Side {
  readonly side: RolloutSample['side']
  /** Deploys v1 × 3 and waits until every stream gets v1; returns the streams to load. */
  deploy(round: number): Promise<StreamSpec[]>
  /** Starts the clients where this side's users are (a 2xx answer is right when its body is in `accepted`). */
  startLoad(streams: StreamSpec[], accepted: string[]): Load
  /** Issues the update to v2 (resolves once the command returned). */
  update(round: number): Promise<void>
  /** True once the orchestrator itself says the update is over. */
  done(round: number): Promise<boolean>
  /** The engine and the label its workload's containers carry. */
  engine(round: number): { docker: Docker; label: string }
  /** Removes the workload and waits until its containers are gone. */
  remove(round: number): Promise<void>
  /** What the orchestrator says of the round's workload, for a failed round's report. */
  describe(round: number): Promise<string>
}

async function allNew(docker: Docker, label: string): Promise<boolean> {
  const cs = await docker.listContainers({ filters: { label: [label] } })
  if (cs.length !== REPLICAS || cs.some(c => c.State !== 'running')) return false
  const envs = await Promise.all(cs.map(c => docker.getContainer(c.Id).inspect().then(i => i.Config.Env ?? [], () => [] as string[])))
  return envs.every(e => e.includes('VERSION=v2'))
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

/** Update command → all-new (allNewMs) and → the orchestrator says done too (wallMs); absent when not reached. */
async function timeRollout(s: Side, round: number): Promise<{ wallMs?: number; allNewMs?: number }> {
  const { docker, label } = s.engine(round)
  const t0 = performance.now()
  await s.update(round)
  let allNewMs: number | undefined
  while (performance.now() - t0 < SETTLE_TIMEOUT_MS) {
    const fresh = await allNew(docker, label)
    if (!fresh) allNewMs = undefined
    else {
      allNewMs ??= performance.now() - t0
      if (await s.done(round)) return { wallMs: performance.now() - t0, allNewMs }
    }
    await sleep(POLL_MS)
  }
  return { allNewMs }
}

/** One round of one side: deploy, load, update, wait, more load, report, remove. Whatever fails,
 * the round still reports its requests and what it measured. */
export async function sample(s: Side, round: number): Promise<RolloutSample> {
  let load: Load | undefined
  let timing: { wallMs?: number; allNewMs?: number } = {}
  let error: string | undefined
  try {
    const streams = await s.deploy(round)
    load = s.startLoad(streams, ['v1', 'v2'])
    await waitAnswers(load, streams.length, 50, 0)
    timing = await timeRollout(s, round)
    if (timing.wallMs !== undefined) {
      // The settled state serves too: a last stretch of load after it.
      await waitAnswers(load, streams.length, 100, load.nextSeq()).catch((err: Error) => { error = `after the rollout: ${err.message}` })
    } else {
      error = timing.allNewMs !== undefined
        ? `all containers new after ${(timing.allNewMs / 1000).toFixed(1)} s, but the orchestrator never said the update was over`
        : `not all-new within ${SETTLE_TIMEOUT_MS / 1000} s`
    }
  } catch (err) {
    error = (err as Error).message.split('\n')[0]
  }
  const report: LoadReport | undefined = load && await load.stop()
  if (error) console.error(`${s.side} round ${round} failed: ${error}\n${await s.describe(round).catch((e: Error) => e.message)}`)
  await s.remove(round).catch(err => console.error(`${s.side} round ${round}: removing failed: ${(err as Error).message}`))
  return { side: s.side, round, ...timing, sent: report?.sent ?? 0, failed: report?.failures.length ?? 0, error, failures: report ? describeFailures(report, 5) : '' }
}

async function waitAnswers(load: Load, streams: number, n: number, fromSeq: number): Promise<void> {
  const deadline = performance.now() + 60_000
  for (;;) {
    const per = new Map<string, number>()
    for (const a of load.answers) if (a.seq >= fromSeq) per.set(a.stream, (per.get(a.stream) ?? 0) + 1)
    if (per.size === streams && [...per.values()].every(v => v >= n)) return
    if (performance.now() > deadline) throw new Error(`fewer than ${n} answers per stream within 60 s (${JSON.stringify(Object.fromEntries(per))})`)
    await sleep(50)
  }
}
