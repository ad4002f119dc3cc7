// Issue 10, test 4: scale-down and delete stop instances gracefully. Requests in flight
// (a handler that answers after 3 s) complete; the container logs show SIGTERM arrived;
// an instance that ignores SIGTERM is killed only after its stopGracePeriod. Every fact
// comes from what a user can see: the answers, the container's logs (followed live,
// since the conductor removes the container) and Docker's own events (kill with its
// signal, die with its exit code, on Docker's clock) — never from the test's wall clock.
import t, { type Test } from 'tap'
import type Docker from 'dockerode'
import { SLOW_PATH } from '../support/images.js'
import { waitFor } from '../support/wait-for.js'
import { startCluster, type Cluster } from './cluster.js'
import { describeFailures, describeStreams, sendBurst } from './load.js'
import { describeEvents, followLogs, watchEvents, type EventLog, type FollowedLog } from './observe.js'
import { answersAfter, deploy, ROLLOUT_WAIT, userStreams, waitSettled, allowTests, TEST_TIMEOUT_MS, userLoad, noFailures } from './steps.js'
import { webManifest } from './web-app.js'

process.env.DOCKER_API_VERSION ??= '1.41'
allowTests(t, 3)

const SLOW_URL_LINE = `url:${SLOW_PATH}`

/** Follows the logs of every container of `name` now. */
async function followAll(t: Test, c: Cluster, name: string): Promise<Map<string, { info: Docker.ContainerInfo; log: FollowedLog }>> {
  const out = new Map<string, { info: Docker.ContainerInfo; log: FollowedLog }>()
  for (const info of await c.containers(name)) out.set(info.Id, { info, log: await followLogs(t, c.docker, info.Id) })
  return out
}

/** The containers of `before` that are gone now, once exactly `left` remain. */
async function removedOnes(c: Cluster, name: string, before: Map<string, unknown>, left: number): Promise<string[]> {
  const remaining = await waitFor(async () => {
    const now = await c.containers(name)
    return now.length === left && now
  }, { ...ROLLOUT_WAIT, what: `${left} container(s) of ${name} left` }).catch((err: Error) => { throw new Error(`${err.message}\n${c.output()}`) })
  return [...before.keys()].filter(id => !remaining.some(r => r.Id === id))
}

/** Docker's record of how a container stopped: the kill signals in order, and the exit code. */
function stopRecord(events: EventLog, id: string): { signals: string[]; exitCode?: number; graceMs?: number; text: string } {
  const mine = events.of(id)
  const kills = mine.filter(e => e.action === 'kill')
  const die = mine.find(e => e.action === 'die')
  const term = kills.find(e => e.signal === '15')
  const kill = kills.find(e => e.signal === '9')
  return {
    signals: kills.map(e => e.signal ?? '?'),
    exitCode: die?.exitCode,
    graceMs: term && kill ? Number((kill.timeNano - term.timeNano) / 1_000_000n) : undefined,
    text: describeEvents(mine),
  }
}

t.test('scale-down 3 → 1 while slow requests are in flight: they complete, the stopped instances got SIGTERM and exited 0', { timeout: TEST_TIMEOUT_MS }, async t => {
  const c = await startCluster(t)
  const events = await watchEvents(t, c.docker, c.hostId)
  const { proxyPort } = await deploy(c, 'web', { version: 'v1', scale: 3, logRequests: true })
  const logs = await followAll(t, c, 'web')
  // Slow requests keep arriving on every instance, so some are in flight whenever one stops.
  const slowStreams = userStreams(c, proxyPort, SLOW_PATH, 4).filter(s => s.name !== 'router keep-alive')
  const slow = userLoad(t, slowStreams, body => body === 'slow v1')
  const fastStreams = userStreams(c, proxyPort, '/')
  const fast = userLoad(t, fastStreams, body => body === 'v1')
  await waitFor(() => [...logs.values()].every(l => l.log.count(SLOW_URL_LINE) >= 2), { timeoutMs: 60_000, what: 'slow requests on every instance' })
    .catch(async (err: Error) => {
      const counts = [...logs.values()].map(l => `${l.info.Names[0]}: ${l.log.count(SLOW_URL_LINE)}`).join(', ')
      const report = await slow.stop()
      throw new Error(`${err.message}\nslow requests logged: ${counts}\n${describeStreams(report)}\n${describeFailures(report)}`, { cause: err })
    })

  await c.put('web', webManifest({ version: 'v1', scale: 1, logRequests: true }))
  const removed = await removedOnes(c, 'web', logs, 1)
  await waitSettled(c, 'web', 'v1', 1, { rollout: false })
  await answersAfter(fast, fastStreams.length, 50, fast.nextSeq())
  const [slowReport, fastReport] = [await slow.stop(), await fast.stop()]

  t.comment(`slow: ${describeStreams(slowReport)}; fast: ${describeStreams(fastReport)}`)
  noFailures(t, slowReport, c, 'every slow request completed')
  noFailures(t, fastReport, c, 'no other request failed either')
  t.equal(removed.length, 2, 'two instances were stopped')
  for (const id of removed) {
    const log = logs.get(id)!.log.text()
    const stop = stopRecord(events, id)
    t.match(log, /got SIGTERM/, `${logs.get(id)!.info.Names[0]} logged the SIGTERM it received:\n${log.split('\n').filter(l => !l.includes('url:') && !l.includes('response:')).join('\n')}`)
    t.same(stop.signals, ['15'], `Docker sent SIGTERM and nothing else:\n${stop.text}`)
    t.equal(stop.exitCode, 0, 'it exited by itself, 0')
    t.comment(`${logs.get(id)!.info.Names[0]}: ${/got SIGTERM.*/.exec(log)?.[0] ?? '(no SIGTERM line)'}`)
  }
})

t.test('delete while slow requests are in flight: they complete, every instance got SIGTERM and exited 0', { timeout: TEST_TIMEOUT_MS }, async t => {
  const c = await startCluster(t)
  const events = await watchEvents(t, c.docker, c.hostId)
  const { proxyPort } = await deploy(c, 'web', { version: 'v1', scale: 2, logRequests: true })
  const logs = await followAll(t, c, 'web')
  // One burst (after the delete new requests rightly fail): six through the router, six through the proxy.
  const report = sendBurst(userStreams(c, proxyPort, SLOW_PATH).filter(s => s.name !== 'router keep-alive'), 6, body => body === 'slow v1')
  await waitFor(() => [...logs.values()].every(l => l.log.count(SLOW_URL_LINE) >= 1), { timeoutMs: 30_000, what: 'slow requests on both instances' })

  await c.remove('web')
  const removed = await removedOnes(c, 'web', logs, 0)
  const slowReport = await report

  t.comment(describeStreams(slowReport))
  noFailures(t, slowReport, c, 'every slow request completed')
  t.equal(removed.length, 2, 'both instances were stopped')
  for (const id of removed) {
    const stop = stopRecord(events, id)
    t.match(logs.get(id)!.log.text(), /got SIGTERM/, `${logs.get(id)!.info.Names[0]} logged SIGTERM`)
    t.same(stop.signals, ['15'], `Docker sent SIGTERM and nothing else:\n${stop.text}`)
    t.equal(stop.exitCode, 0, 'it exited by itself, 0')
  }
})

t.test('an instance that ignores SIGTERM is killed only after stopGracePeriod "2s"; no request fails meanwhile', { timeout: TEST_TIMEOUT_MS }, async t => {
  const c = await startCluster(t)
  const events = await watchEvents(t, c.docker, c.hostId)
  const opts = { version: 'v1', scale: 2, ignoreTerm: true, stopGracePeriod: '2s' }
  const { proxyPort } = await deploy(c, 'web', opts)
  const logs = await followAll(t, c, 'web')
  const streams = userStreams(c, proxyPort, '/')
  const load = userLoad(t, streams, body => body === 'v1')
  await answersAfter(load, streams.length, 50)

  await c.put('web', webManifest({ ...opts, scale: 1 }))
  const [id] = await removedOnes(c, 'web', logs, 1)
  await waitFor(() => events.of(id!).some(e => e.action === 'die'), { timeoutMs: 30_000, what: 'the die event' })
  await answersAfter(load, streams.length, 50, load.nextSeq())
  const report = await load.stop()

  const stop = stopRecord(events, id!)
  const log = logs.get(id!)!.log.text()
  noFailures(t, report, c, 'while the instance was stopped')
  t.match(log, /got SIGTERM/, 'the container logged the SIGTERM')
  t.match(log, /ignoring SIGTERM/, '... and ignored it')
  t.same(stop.signals, ['15', '9'], `SIGTERM first, SIGKILL after:\n${stop.text}`)
  t.equal(stop.exitCode, 137, 'killed: exit code 137')
  t.ok(stop.graceMs !== undefined && stop.graceMs >= 1950, `SIGKILL came ${stop.graceMs} ms after SIGTERM by Docker's clock: the 2 s grace period`)
})
