// Issue 10, tests 1 and 2: a rolling update under load fails no request. A real
// conductor (with its scheduler) and a real ambassador on the bed's etcd and engine; a
// client sends 100 requests/s through each of the web router (kept-alive connection and
// new connections) and the link proxy while the manifest changes from v1 to v2.
import t, { type Test } from 'tap'
import { containerName } from '../../schemas/index.js'
import { startCluster } from './cluster.js'
import { describeFailures, describeStreams } from './load.js'
import { answersAfter, deploy, userStreams, waitSettled, allowTests, TEST_TIMEOUT_MS, userLoad, noFailures } from './steps.js'
import { webManifest } from './web-app.js'

process.env.DOCKER_API_VERSION ??= '1.41'
allowTests(t, 2)

async function updateUnderLoad(t: Test, scale: number): Promise<void> {
  const c = await startCluster(t)
  const { proxyPort } = await deploy(c, 'web', { version: 'v1', scale })
  const streams = userStreams(c, proxyPort, '/')
  const load = userLoad(t, streams, body => body === 'v1' || body === 'v2')
  await answersAfter(load, streams.length, 50)

  const updateSeq = load.nextSeq()
  await c.put('web', webManifest({ version: 'v2', scale }))
  const rollout = await waitSettled(c, 'web', 'v2', scale).catch(async (err: Error) => {
    const report = await load.stop()
    throw new Error(`${err.message}\nload meanwhile: ${describeStreams(report)}\n${describeFailures(report)}`, { cause: err })
  })
  // The settled state serves as well: a last stretch of load after it.
  const settledSeq = load.nextSeq()
  await answersAfter(load, streams.length, 100, settledSeq)
  const report = await load.stop()

  t.comment(describeStreams(report))
  t.comment(`answers: ${JSON.stringify(report.bodies)}`)
  noFailures(t, report, c, 'during the update')
  t.ok(report.streams.every(s => s.sent >= 100), `every stream sent requests (${describeStreams(report)})`)
  t.same(Object.keys(report.bodies).filter(b => b !== 'v1' && b !== 'v2'), [], 'every answer is v1 or v2')
  const duringUpdate = report.answers.filter(a => a.seq >= updateSeq && a.seq < settledSeq)
  t.ok(duringUpdate.some(a => a.body === 'v1') && report.answers.some(a => a.body === 'v2'),
    `the load ran across the update: v1 answered after the put and v2 too (${JSON.stringify(report.bodies)})`)
  const late = report.answers.filter(a => a.seq >= settledSeq && a.body !== 'v2')
  t.same(late.map(a => `${a.stream}: ${a.body ?? a.error}`), [], 'once settled, only v2 answers')

  const names = (await c.containers('web')).map(x => x.Names[0]?.replace(/^\//, '')).sort()
  t.same(names, Array.from({ length: scale }, (_, index) => containerName({ app: c.app, name: 'web', index })).sort(),
    `the containers end with the seed's names (${rollout.why || 'settled'})`)
  const status = await c.status('web')
  t.equal(status?.rollout?.state, 'completed', 'the status says the rollout completed')
  t.equal(status?.rollout?.updated, scale, `${scale} of ${scale} updated`)
}

t.test('three instances: v1 → v2 under load through the router and the link proxy, zero failed requests', { timeout: TEST_TIMEOUT_MS }, async t => {
  await updateUnderLoad(t, 3)
})

t.test('one instance, start-first: v1 → v2 under load, zero failed requests', { timeout: TEST_TIMEOUT_MS }, async t => {
  await updateUnderLoad(t, 1)
})
