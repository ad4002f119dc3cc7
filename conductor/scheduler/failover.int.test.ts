// End to end, with two real conductor processes on one Docker engine (distinct host ids,
// one etcd prefix): SIGKILL the one running the instance, and the instance comes back
// on the other; start the first again and it removes what is no longer assigned to it.
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { LABELS } from '../../schemas/index.js'
import { listByLabel, removeContainersByLabel } from '../../test/support/docker.js'
import { TEST_IMAGE } from '../../test/support/images.js'
import { startTsProcess } from '../../test/support/processes.js'
import { waitFor } from '../../test/support/wait-for.js'
import { placement, putManifest, status, testCluster } from './test-kit.js'

t.test('a dead host\'s instance comes back on the other host; the host returning removes its copy', async t => {
  const c = testCluster(t)
  const tag = randomBytes(3).toString('hex')
  const app = `fo${tag}`
  const ref = { app, name: 'web' }
  const ids = { a: `fo-${tag}-a`, b: `fo-${tag}-b` }
  t.teardown(() => removeContainersByLabel(LABELS.app, app))
  const conductor = (id: string) => startTsProcess('conductor/main.ts', [
    '--etcd', c.etcd.hosts.join(','), '--prefix', c.keys.prefix, '--host-id', id, '--host-address', '127.0.0.1',
    '--ambassador-address', 'none', '--lease-ttl', '3', '--log-level', 'info',
  ], {}, { t, name: id })
  const procs = { a: conductor(ids.a), b: conductor(ids.b) }
  await waitFor(async () => Object.keys(await c.etcd.client.getAll().prefix(c.keys.hosts).keys()).length === 2,
    { timeoutMs: 30_000, what: 'both hosts registered' })

  const runningOn = async (host: string) => (await listByLabel(LABELS.app, app))
    .filter(x => x.Labels[LABELS.host] === host && x.State === 'running')
  await putManifest(c, ref, { image: TEST_IMAGE, scale: 1 })
  await waitFor(async () => (await placement(c, ref)).length === 1, { timeoutMs: 30_000, what: 'an assignment' })
  const first = (await placement(c, ref))[0]!.split('@')[1]!
  const [victim, survivor] = first === ids.a ? (['a', 'b'] as const) : (['b', 'a'] as const)
  await waitFor(async () => (await runningOn(ids[victim])).length === 1, { timeoutMs: 30_000, what: `container on ${ids[victim]}` })

  const killedAt = Date.now()
  await procs[victim].stop('SIGKILL')
  const moved = await waitFor(async () => (await runningOn(ids[survivor])).length === 1 && Date.now(),
    { timeoutMs: 60_000, intervalMs: 50, what: `the instance running on ${ids[survivor]}` })
  t.comment(`conductor SIGKILLed -> instance running on the other host after ${moved - killedAt} ms (lease TTL 3 s)`)
  t.same(await placement(c, ref), [`0@${ids[survivor]}`])
  t.equal((await runningOn(ids[victim])).length, 1, 'the dead conductor\'s container keeps running meanwhile (static stability)')
  await waitFor(async () => (await status(c, ref))?.phase === 'Running', { timeoutMs: 30_000, what: 'status Running' })

  const restarted = conductor(ids[victim])
  await waitFor(async () => (await listByLabel(LABELS.app, app)).filter(x => x.Labels[LABELS.host] === ids[victim]).length === 0,
    { timeoutMs: 60_000, what: `${ids[victim]} removing its unassigned container` })
  t.same(await placement(c, ref), [`0@${ids[survivor]}`], 'the returning host got nothing back')
  t.equal((await runningOn(ids[survivor])).length, 1, 'the moved instance still runs')
  await restarted.stop()
  await procs[survivor].stop()
})
