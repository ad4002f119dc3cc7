// Issue 10, test 3: a new version whose health check never passes is rolled back. The
// old version serves throughout (not one answer from the new one, not one failed
// request), the instances end on the old spec with the seed's names, the status says
// RolledBack with a reason, and the manifest the user wrote stays in etcd.
import t from 'tap'
import { startCluster } from './cluster.js'
import { describeFailures, describeStreams } from './load.js'
import { answersAfter, deploy, ROLLOUT_WAIT, userStreams, allowTests, TEST_TIMEOUT_MS, userLoad, noFailures } from './steps.js'
import { rolloutView, webManifest, type RolloutView } from './web-app.js'
import { waitFor } from '../support/wait-for.js'

process.env.DOCKER_API_VERSION ??= '1.41'
allowTests(t, 1)

t.test('a version that never turns healthy: rolled back, v1 serves throughout, zero failed requests', { timeout: TEST_TIMEOUT_MS }, async t => {
  const c = await startCluster(t)
  const { proxyPort } = await deploy(c, 'web', { version: 'v1', scale: 3 })
  const streams = userStreams(c, proxyPort, '/')
  // Only v1 is a right answer: the broken version must never take traffic.
  const load = userLoad(t, streams, body => body === 'v1')
  await answersAfter(load, streams.length, 50)

  const broken = webManifest({ version: 'v2', scale: 3, healthy: false })
  await c.put('web', broken)
  let view: RolloutView | undefined
  const status = await waitFor(async () => {
    const s = await c.status('web')
    view = await rolloutView(c, 'web', 'v1', 3, { rollout: false })
    // Rolled back, and the instances are back on v1 with the seed's names (nothing of v2 left).
    return s?.phase === 'RolledBack' && view.allNew && s
  }, { ...ROLLOUT_WAIT, what: 'phase RolledBack and three v1 instances' }).catch(async (err: Error) => {
    const report = await load.stop()
    throw new Error(`${err.message}\nstatus: ${JSON.stringify(await c.status('web'))}\ncontainers: ${view?.why}\n` +
      `load meanwhile: ${describeStreams(report)}\n${describeFailures(report)}\n${c.output()}`, { cause: err })
  })
  const afterSeq = load.nextSeq()
  await answersAfter(load, streams.length, 100, afterSeq)
  const report = await load.stop()

  t.comment(describeStreams(report))
  t.comment(`status after the rollback: ${JSON.stringify(status.rollout)}`)
  noFailures(t, report, c, 'during the failed update and the rollback (an answer other than v1 counts as failed)')
  t.same(Object.keys(report.bodies), ['v1'], 'only v1 ever answered')
  t.equal(status.rollout?.state, 'rolled-back', 'the rollout says rolled-back')
  t.ok((status.rollout?.reason ?? '').length > 0, `with a reason: ${JSON.stringify(status.rollout?.reason)}`)
  t.match(status.lastEvent?.message ?? '', /.+/, `last event: ${status.lastEvent?.message}`)
  t.same(JSON.parse(await c.manifestText('web') ?? 'null'), broken, 'the manifest the user wrote stays in etcd')
  const containers = await c.containers('web')
  t.equal(containers.length, 3, `three containers, no v2 left behind (${containers.map(x => `${x.Names[0]} ${x.State}`).join(', ')})`)
  const records = await c.instances('web')
  t.ok(records.every(r => r.health === 'healthy'), `every instance healthy (${records.map(r => r.health).join(', ')})`)
})
