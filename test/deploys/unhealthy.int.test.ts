// Issue 10, test 5: an instance whose /healthz starts failing leaves DNS, the link proxy
// and the web router within interval × retries, no client sees an error, and it is
// restarted. "Within interval × retries" is counted, not timed: the instance logs every
// request (LOG_REQUESTS=1), so the health checks it failed before it was withdrawn can be
// counted in its log — at most `retries`, plus the one under way while the test looked.
// The test keeps the instance sick across a restart of the same container
// (/tmp/stay-unhealthy), so its absence can be checked at leisure, then heals it.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import t from 'tap'
import { skydnsLeaf, type InstanceRecord } from '../../schemas/index.js'
import { waitFor } from '../support/wait-for.js'
import { startCluster } from './cluster.js'
import { describeFailures, describeStreams } from './load.js'
import { followLogs, instanceNameStatus, srvPorts } from './observe.js'
import { answersAfter, deploy, ROLLOUT_WAIT, userStreams, allowTests, TEST_TIMEOUT_MS, userLoad, noFailures } from './steps.js'
import { HEALTH, SERVICE } from './web-app.js'

process.env.DOCKER_API_VERSION ??= '1.41'
allowTests(t, 1)
const exec = promisify(execFile)
const MARK = 'zd-test: /healthz fails from now on'

function dockerExec(id: string, script: string): Promise<unknown> {
  return exec('docker', ['exec', id, 'sh', '-c', script], { env: { ...process.env, DOCKER_API_VERSION: '1.41' }, timeout: 30_000 })
}

t.test('an instance turning unhealthy leaves DNS, proxy and router within interval × retries, unseen by clients, and is restarted', { timeout: TEST_TIMEOUT_MS }, async t => {
  const c = await startCluster(t)
  const { proxyPort } = await deploy(c, 'web', { version: 'v1', scale: 3, logRequests: true })
  const ref = { app: c.app, name: 'web', index: 1 }
  const record = await c.etcd.client.get(c.keys.instance(ref)).string().then(v => JSON.parse(v!) as InstanceRecord)
  const sickPort = record.ports[SERVICE]!
  const sick = (await c.docker.getContainer(record.containerId).inspect())
  const sickBody = `instance ${sick.Config.Hostname}`
  t.ok((await srvPorts(c.dnsPort, c.app, SERVICE)).includes(sickPort), `instance 1 (port ${sickPort}) is in DNS at first`)

  const streams = userStreams(c, proxyPort, '/host.txt')
  const load = userLoad(t, streams, body => /^instance \w+$/.test(body))
  await answersAfter(load, streams.length, 50)
  t.ok(load.answers.some(a => a.body === sickBody), 'instance 1 takes requests at first')

  const log = await followLogs(t, c.docker, record.containerId)
  await dockerExec(record.containerId, `touch /tmp/stay-unhealthy && rm -f /www/healthz && echo '${MARK}' >/proc/1/fd/2`)
  // Polled as fast as dig answers: the count of failed checks is read the moment the withdrawal is seen.
  const seen = await waitFor(async () => {
    const ports = await srvPorts(c.dnsPort, c.app, SERVICE)
    return !ports.includes(sickPort) && { ports, failedChecks: log.count('url:/healthz', MARK), seq: load.nextSeq() }
  }, { ...ROLLOUT_WAIT, intervalMs: 20, what: `port ${sickPort} gone from the SRV answer` }).catch(async (err: Error) => {
    const report = await load.stop()
    throw new Error(`${err.message}\n${describeFailures(report)}\nlog of the instance:\n${log.text().slice(-2000)}\n${c.output()}`, { cause: err })
  })
  t.ok(seen.failedChecks >= 1, `it failed ${seen.failedChecks} health check(s) before it left (it did not leave for another reason)`)
  t.ok(seen.failedChecks <= HEALTH.retries + 1, `it left DNS after ${seen.failedChecks} failed checks: within interval × retries (${HEALTH.retries} checks, +1 under way)`)
  t.equal(await instanceNameStatus(c.dnsPort, skydnsLeaf(ref), c.app, SERVICE), 'NXDOMAIN', 'its own name is gone too')
  t.same(seen.ports.length, 2, 'the two healthy instances stay in DNS')

  // Restarted: a new container, or the same one with a higher restart count.
  const restarted = await waitFor(async () => {
    const r = await c.etcd.client.get(c.keys.instance(ref)).string().then(v => v && JSON.parse(v) as InstanceRecord)
    return r && (r.containerId !== record.containerId || r.restarts > record.restarts) && r
  }, { ...ROLLOUT_WAIT, what: 'instance 1 restarted' }).catch((err: Error) => { throw new Error(`${err.message}\n${c.output()}`) })
  // Withdrawn from the proxy and the router too: they share the ambassador's table with DNS, and no
  // request sent after the withdrawal was seen reached the sick instance while it stayed sick.
  await answersAfter(load, streams.length, 100, seen.seq)
  const healSeq = load.nextSeq()
  const whileSick = load.answers.filter(a => a.seq >= seen.seq && a.seq < healSeq)
  t.same(whileSick.filter(a => a.body === sickBody).map(a => `#${a.seq} ${a.stream}`), [],
    `no request sent after the withdrawal reached the sick instance (${whileSick.length} answers checked)`)

  // Heal it (when the same container was restarted: a new one starts healthy) and see it come back.
  if (restarted.containerId === record.containerId) {
    await waitFor(() => dockerExec(record.containerId, 'rm -f /tmp/stay-unhealthy && echo ok > /www/healthz').then(() => true),
      { timeoutMs: 60_000, what: 'the sick instance healed' })
  }
  await waitFor(async () => (await srvPorts(c.dnsPort, c.app, SERVICE)).length === 3, { ...ROLLOUT_WAIT, what: 'three instances in DNS again' })
  const healed = await c.etcd.client.get(c.keys.instance(ref)).string().then(v => JSON.parse(v!) as InstanceRecord)
  await answersAfter(load, streams.length, 50, load.nextSeq())
  const report = await load.stop()

  t.comment(describeStreams(report))
  noFailures(t, report, c, 'clients saw no error')
  t.ok(restarted.restarts > record.restarts || restarted.containerId !== record.containerId,
    `restarted: restarts ${record.restarts} → ${restarted.restarts}, container ${record.containerId.slice(0, 12)} → ${restarted.containerId.slice(0, 12)}`)
  t.equal(healed.health, 'healthy', 'healthy again, and back in DNS, after the heal')
})
