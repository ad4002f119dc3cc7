// Issue #8, paged loads: a cluster holding more manifests than one gRPC message can carry
// (4 MiB). Real conductor processes: the first one, starting on top of it, schedules a
// new small app; then it is SIGKILLed and the other one, taking over as scheduler, reads
// everything afresh and schedules another new app within seconds. The old single range
// over /apps failed with RESOURCE_EXHAUSTED on every attempt, so nothing was scheduled.
//
// DOKKAA_LARGE_STATE_MANIFESTS (default 80 × 60 KiB ≈ 4.7 MiB) scales it up: 800 is the
// issue's "50 MB of manifests"; the times are printed as test comments.
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import t from 'tap'
import { LABELS } from '../../schemas/index.js'
import { listByLabel, removeContainersByLabel } from '../../test/support/docker.js'
import { TEST_IMAGE } from '../../test/support/images.js'
import { startTsProcess } from '../../test/support/processes.js'
import { waitFor } from '../../test/support/wait-for.js'
import { putManifest, status, testCluster } from './test-kit.js'

const COUNT = Number(process.env.DOKKAA_LARGE_STATE_MANIFESTS ?? 80)
const LONG = { timeoutMs: 120_000, intervalMs: 50 }

/** A valid manifest of about 60 KiB (the limit is 64 KiB), scale 0. */
function bigManifest(i: number): string {
  return JSON.stringify({ image: TEST_IMAGE, scale: 0, env: { INDEX: i, PAD: 'p'.repeat(60 * 1024) } })
}

t.test(`a scheduler starting on, and failing over onto, ${COUNT} × 60 KiB of manifests schedules new apps`, async t => {
  const c = testCluster(t)
  const tag = randomBytes(3).toString('hex')
  const big = `big${tag}`
  const apps = { first: `first${tag}`, second: `second${tag}` }
  const ids = { a: `ls-${tag}-a`, b: `ls-${tag}-b` }
  t.teardown(async () => {
    for (const id of Object.values(ids)) await removeContainersByLabel(LABELS.host, id)
  })

  // Straight into etcd, a few puts at a time.
  const started = Date.now()
  for (let i = 0; i < COUNT; i += 8) {
    await Promise.all(Array.from({ length: Math.min(8, COUNT - i) }, (_, j) =>
      c.etcd.client.put(c.keys.manifest({ app: big, name: `m${i + j}` })).value(bigManifest(i + j))))
  }
  t.comment(`${COUNT} manifests, ${(COUNT * bigManifest(0).length / 1024 / 1024).toFixed(1)} MiB, written in ${Date.now() - started} ms`)
  await putManifest(c, { app: apps.first, name: 'web' }, { image: TEST_IMAGE, services: { web: 80 } })

  const conductor = (id: string) => startTsProcess('conductor/main.ts', [
    '--etcd', c.etcd.hosts.join(','), '--prefix', c.keys.prefix, '--host-id', id, '--host-address', '127.0.0.1',
    '--ambassador-address', 'none', '--agent-listen', 'none', '--lease-ttl', '2',
  ], {}, { t, name: id })
  const running = (app: string) => waitFor(async () => (await listByLabel(LABELS.app, app)).some(x => x.State === 'running') && Date.now(),
    { ...LONG, what: `a container of ${app} running` })

  const startedA = Date.now()
  const a = conductor(ids.a)
  await a.waitForLine(/elected: this conductor now schedules/, LONG)
  const firstAt = await running(apps.first)
  t.comment(`conductor started on ${COUNT} manifests -> new app running after ${firstAt - startedA} ms`)
  const last = await waitFor(() => status(c, { app: big, name: `m${COUNT - 1}` }), { ...LONG, what: 'the big manifests\' statuses' })
  t.equal(last.phase, 'Stopped', 'the big manifests were read and planned (scale 0)')

  const b = conductor(ids.b)
  await b.waitForLine(/conductor running/, LONG)
  const killedAt = Date.now()
  await a.stop('SIGKILL')
  await putManifest(c, { app: apps.second, name: 'web' }, { image: TEST_IMAGE, services: { web: 80 } })
  const electedLine = await b.waitForLine(/elected: this conductor now schedules/, LONG)
  const electedAt = Number(JSON.parse(electedLine).time)
  const secondAt = await running(apps.second)
  t.comment(`scheduler SIGKILLed -> other conductor elected after ${electedAt - killedAt} ms (election TTL 2 s) -> new app running after ${secondAt - killedAt} ms (${secondAt - electedAt} ms after the election)`)
  const rss = Math.round(Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${b.pid}/status`, 'utf8'))![1]) / 1024)
  t.comment(`the new scheduler's conductor: RSS ${rss} MiB; ${b.lines.find(l => l.includes('scheduler read the cluster state'))}`)
  t.ok((await listByLabel(LABELS.app, apps.second)).every(x => x.Labels[LABELS.host] === ids.b), 'on the surviving host')
  t.notMatch(b.output(), /RESOURCE_EXHAUSTED|larger than max/i, 'no read was too large')
  t.equal(b.exit(), undefined, 'the new scheduler is still running')
})
