// Steps the zero-downtime tests share: deploy and wait until users can reach the app,
// the three ways a user's requests arrive (web router on one kept-alive connection, web
// router on a new connection each, link proxy), and waiting on answers and rollouts with
// the processes' output in the message when a wait fails.
import { ROLLOUT_IMAGE } from '../support/images.js'
import { waitFor } from '../support/wait-for.js'
import type { Cluster } from './cluster.js'
import { describeFailures, startLoad, type Load, type LoadReport, type StreamSpec } from './load.js'
import type { TeardownHost } from '../support/teardown-host.js'
import { rolloutView, SERVICE, webManifest, type RolloutView, type WebAppOptions } from './web-app.js'

/** Long enough for a pull-free start, three health checks and a monitor period per instance
 * (a 3-instance rollout takes some 15-30 s here), with room for a busy machine. */
export const ROLLOUT_WAIT = { timeoutMs: 90_000, intervalMs: 100 }

/** Each test's own timeout: a test that times out is ended and its teardowns run. */
export const TEST_TIMEOUT_MS = 300_000

/** The file's timeout: its tests' plus time for their teardowns. tap kills a file that
 * outlives its timeout (package.json: 300 s) without running any teardown, which would
 * leave the test's containers behind. */
export function allowTests(t: { setTimeout(ms: number): void }, tests: number): void {
  t.setTimeout(tests * TEST_TIMEOUT_MS + 60_000)
}

/** Requests/s through each path, the web router and the link proxy: the issue asks for at least
 * 100. DOKKAA_ZD_RATE lowers it on a machine the load itself would overload (a two-core VM
 * shared with other suites: fork-per-request backends, two proxies and dockerd at 200/s). */
export const RATE = Number(process.env.DOKKAA_ZD_RATE ?? 100)

/** The router's share split between one kept-alive connection and a new connection per request;
 * the link proxy's in full (busybox httpd closes every connection, so through the TCP proxy each
 * request is a new connection anyway). */
export function userStreams(c: Cluster, proxyPort: number, path: string, rate = RATE): StreamSpec[] {
  const router = { host: '127.0.0.1', port: c.webPort, hostHeader: c.webHost(), path, rate: rate / 2 }
  return [
    { ...router, name: 'router keep-alive', keepAlive: true },
    { ...router, name: 'router new connections', keepAlive: false },
    { name: 'link proxy', host: '127.0.0.1', port: proxyPort, path, keepAlive: false, rate },
  ]
}

/** Waits until the rollout to `version` is over as a user sees it (web-app.ts rolloutView). */
export async function waitSettled(c: Cluster, name: string, version: string, scale: number, opts: { rollout?: boolean } = {}): Promise<RolloutView> {
  let last: RolloutView | undefined
  return waitFor(async () => {
    last = await rolloutView(c, name, version, scale, opts)
    return last.settled && last
  }, { ...ROLLOUT_WAIT, what: `${c.app}/${name} settled on ${version} × ${scale}` }).catch((err: Error) => {
    throw new Error(`${err.message}\nstill: ${last?.why}\n${c.output()}`, { cause: err })
  })
}

/** Puts the first version, waits until it is settled and both the router and the link proxy serve it. */
export async function deploy(c: Cluster, name: string, opts: WebAppOptions): Promise<{ proxyPort: number }> {
  await c.put(name, webManifest(opts))
  await waitSettled(c, name, opts.version, opts.scale, { rollout: false })
  const proxyPort = await c.proxyPort(name, SERVICE)
  // Every stream answers before the load starts: a table still filling is not a rollout's failure.
  const probe = startLoad(userStreams(c, proxyPort, '/', 20), body => body === opts.version)
  await waitFor(() => probe.answers.filter(a => a.ok).length >= 6 && new Set(probe.answers.filter(a => a.ok).map(a => a.stream)).size === 3,
    { timeoutMs: 60_000, what: `${ROLLOUT_IMAGE} ${opts.version} answering through the router and the link proxy` })
    .finally(() => probe.stop())
  return { proxyPort }
}

/** The assertion every test makes: not one failed request. When some failed, the message
 * carries them, grouped, and what the conductor and the ambassador logged meanwhile. */
export function noFailures(t: { equal(a: unknown, b: unknown, msg: string): void }, report: LoadReport, c: Cluster, what: string): void {
  const failed = report.failures.length
  t.equal(failed, 0, failed === 0 ? `${what}: no failed request of ${report.sent}` : `${what}: ${describeFailures(report)}\n${c.output()}`)
}

/** startLoad, stopped when the test ends whatever happens (a running load keeps the file alive
 * until tap kills it, and then no teardown runs). */
export function userLoad(t: TeardownHost, streams: StreamSpec[], accept: (body: string) => boolean): Load {
  const load = startLoad(streams, accept)
  t.teardown(() => load.stop())
  return load
}

/** Waits until each stream has at least `n` answers to requests sent at or after `fromSeq`. */
export async function answersAfter(load: Load, streams: number, n: number, fromSeq = 0): Promise<void> {
  const per = new Map<string, number>()
  await waitFor(() => {
    per.clear()
    for (const a of load.answers) if (a.seq >= fromSeq) per.set(a.stream, (per.get(a.stream) ?? 0) + 1)
    return per.size === streams && [...per.values()].every(v => v >= n)
  }, { timeoutMs: 60_000, what: `${n} answers per stream` }).catch(async (err: Error) => {
    const report: LoadReport = await load.stop()
    throw new Error(`${err.message}: answers since #${fromSeq}: ${JSON.stringify(Object.fromEntries(per))}, ${report.sent} sent in all\n${describeFailures(report)}`, { cause: err })
  })
}
