// Issue #8, names: manifest keys written straight into etcd with an app or name outside
// the naming rule ("VICTIM", "..", "a--b", NUL, a newline, unicode, 400 characters) are
// never scheduled by a real conductor; each is logged once (not on every pass), and where
// a status key can be made from the raw segments, its status says Invalid and why. The
// lower-case app beside them gets its assignment and its container as usual.
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { LABELS, type StatusRecord } from '../../schemas/index.js'
import { listByLabel, removeContainersByLabel } from '../../test/support/docker.js'
import { TEST_IMAGE } from '../../test/support/images.js'
import { startTsProcess } from '../../test/support/processes.js'
import { waitFor } from '../../test/support/wait-for.js'
import { assignments, putManifest, status, testCluster } from './test-kit.js'

const LONG = { timeoutMs: 60_000, intervalMs: 100 }

t.test('keys with invalid names are never scheduled; statuses say why; one log line each', async t => {
  const c = testCluster(t)
  const tag = randomBytes(3).toString('hex')
  const good = { app: `victim${tag}`, name: 'web' }
  const hostId = `names-${tag}`
  t.teardown(() => removeContainersByLabel(LABELS.host, hostId))
  const conductor = startTsProcess('conductor/main.ts', [
    '--etcd', c.etcd.hosts.join(','), '--prefix', c.keys.prefix, '--host-id', hostId, '--host-address', '127.0.0.1',
    '--ambassador-address', 'none', '--agent-listen', 'none', '--resync', '1',
  ], {}, { t, name: hostId })
  await conductor.waitForLine(/elected: this conductor now schedules/, LONG)

  const manifest = JSON.stringify({ image: TEST_IMAGE, services: { web: 80 } })
  // Status keys can be made from these (printable ASCII, no "/", at most 253 characters).
  const withStatus = [`VICTIM${tag}`, '..', `a--b${tag}`, `${'x'.repeat(250)}`]
  // These are only logged.
  const withoutStatus = [`nul\u0000${tag}`, `new\nline${tag}`, `ünïcödé${tag}`, 'y'.repeat(400)]
  for (const app of [...withStatus, ...withoutStatus]) {
    await c.etcd.client.put(`${c.keys.apps}${app}/web/manifest`).value(manifest)
  }
  await putManifest(c, good, manifest)

  await waitFor(async () => (await listByLabel(LABELS.host, hostId)).some(x => x.State === 'running'), { ...LONG, what: 'the valid app running' })
  for (const app of withStatus) {
    const st = await waitFor(() => status(c, { app, name: 'web' }), { ...LONG, what: `status of ${app.slice(0, 20)}` }) as StatusRecord
    t.match(st, { phase: 'Invalid', desired: 0, running: 0, errors: [{ path: '/app', message: /^app ".*" is not allowed: use a lowercase DNS label/ }] },
      `${app.slice(0, 20)}: Invalid, naming the rule`)
  }

  // A few scheduler passes and conductor resyncs later...
  for (let i = 0; i < 3; i++) {
    await putManifest(c, { app: good.app, name: 'other' }, JSON.stringify({ image: TEST_IMAGE, scale: 0, env: { PASS: String(i) } }))
    await new Promise(r => setTimeout(r, 700))
  }
  const containers = await listByLabel(LABELS.host, hostId)
  t.same([...new Set(containers.map(x => x.Labels[LABELS.app]))], [good.app], 'containers only for the lower-case app')
  t.same([...new Set((await assignments(c)).map(a => a.app))], [good.app], 'assignments only for the lower-case app')
  const keys = Object.keys(await c.etcd.client.getAll().prefix(c.keys.apps).strings())
  for (const app of withoutStatus) {
    t.notOk(keys.some(k => k.startsWith(`${c.keys.apps}${app}/`) && k.endsWith('/status')), `no status for ${JSON.stringify(app.slice(0, 12))}`)
  }
  const lines = conductor.lines.filter(l => /invalid app or name|cannot use/.test(l))
  t.equal(lines.length, withStatus.length + withoutStatus.length, 'each invalid key logged once, not on every pass')
  t.equal(conductor.exit(), undefined, 'the conductor is still running')
})
