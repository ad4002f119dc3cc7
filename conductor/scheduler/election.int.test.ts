// Two scheduler processes on one etcd: one leads and writes, the other waits; SIGKILL
// the leader and the other takes over once the dead one's election lease expires.
import t from 'tap'
import { waitFor } from '../../test/support/wait-for.js'
import { startTsProcess, type StartedProcess } from '../../test/support/processes.js'
import { currentScheduler } from './start-scheduler.js'
import { fakeHost, placement, putManifest, status, testCluster } from './test-kit.js'

const elected = 'elected: this conductor now schedules the cluster'

t.test('one leader writes; SIGKILL it and the other takes over', async t => {
  const c = testCluster(t)
  await fakeHost(t, c, 'h1')
  const start = (id: string) => startTsProcess('conductor/scheduler/fixtures/scheduler-only.ts', [], {
    DOKKAA_ETCD: c.etcd.hosts.join(','), DOKKAA_PREFIX: c.keys.prefix, DOKKAA_HOST_ID: id,
  }, { t, name: id })
  const procs: Record<string, StartedProcess> = { sA: start('sA'), sB: start('sB') }
  const leaderId = await waitFor(() => currentScheduler(c.etcd.client, c.keys), { timeoutMs: 30_000, what: 'a leader' })
  const leader = procs[leaderId]!
  const other = procs[leaderId === 'sA' ? 'sB' : 'sA']!
  await leader.waitForLine(elected, { timeoutMs: 30_000 })
  await other.waitForLine('campaigning', { timeoutMs: 30_000 })

  // Count every write under assign/ while both run: one instance, one put.
  const puts: string[] = []
  const watcher = await c.etcd.client.watch().prefix(c.keys.assignRoot).create()
  t.teardown(() => watcher.cancel())
  watcher.on('put', kv => puts.push(kv.key.toString()))
  const first = { app: 'el', name: 'one' }
  await putManifest(c, first, { image: 'dokkaa/busybox:test' })
  await waitFor(async () => (await placement(c, first)).join() === '0@h1', { timeoutMs: 15_000, what: 'first assignment' })
  await waitFor(async () => (await status(c, first))?.phase === 'Pending', { timeoutMs: 15_000, what: 'first status' })
  t.same(puts, [c.keys.assignment('h1', { ...first, index: 0 })], 'exactly one write: the follower does not schedule')
  t.notOk(other.lines.some(l => l.includes(elected)), 'the follower was never elected')

  const killedAt = Date.now()
  await leader.stop('SIGKILL')
  await other.waitForLine(elected, { timeoutMs: 30_000 })
  const tookOver = Date.now() - killedAt
  t.comment(`leader SIGKILLed -> follower elected in ${tookOver} ms (election lease TTL 3 s)`)
  const second = { app: 'el', name: 'two' }
  await putManifest(c, second, { image: 'dokkaa/busybox:test' })
  await waitFor(async () => (await placement(c, second)).join() === '0@h1', { timeoutMs: 15_000, what: 'second assignment' })
  t.equal(await currentScheduler(c.etcd.client, c.keys), other.name)
  const exit = await other.stop('SIGTERM')
  t.equal(exit.code, 0, 'SIGTERM resigns and exits cleanly')
  t.equal(await currentScheduler(c.etcd.client, c.keys), undefined, 'resigned: no leader left behind')
})
