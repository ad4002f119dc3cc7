// Issue #8, limits: manifests written straight into etcd that once crash-looped the
// scheduler (a 5,000-level nesting blew the stack in validation) or that no manifest may
// be (1.4 MB; etcd itself refuses a 2 MB put), and images outside Docker's grammar. A
// real conductor process schedules around them: each gets a status naming the limit or
// the image rule, nothing is assigned for them, and a valid app beside them runs. The
// cluster policy's limits tighten validation; an invalid policy is logged and the last
// valid one kept.
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { LABELS, type AppRef, type StatusRecord } from '../../schemas/index.js'
import { listByLabel, removeContainersByLabel } from '../../test/support/docker.js'
import { TEST_IMAGE } from '../../test/support/images.js'
import { startTsProcess } from '../../test/support/processes.js'
import { waitFor } from '../../test/support/wait-for.js'
import { assignments, putManifest, status, testCluster, type Cluster } from './test-kit.js'

const LONG = { timeoutMs: 60_000, intervalMs: 100 }

const statusWhere = (c: Cluster, ref: AppRef, ok: (s: StatusRecord) => boolean, what: string) =>
  waitFor(async () => { const s = await status(c, ref); return s && ok(s) ? s : undefined }, { ...LONG, what })

t.test('deep, huge and bad-image manifests get statuses, never a crash; policy limits tighten', async t => {
  const c = testCluster(t)
  const tag = randomBytes(3).toString('hex')
  const app = `lim${tag}`
  const hostId = `lim-${tag}`
  t.teardown(() => removeContainersByLabel(LABELS.host, hostId))
  const conductor = startTsProcess('conductor/main.ts', [
    '--etcd', c.etcd.hosts.join(','), '--prefix', c.keys.prefix, '--host-id', hostId, '--host-address', '127.0.0.1',
    '--ambassador-address', 'none', '--agent-listen', 'none',
  ], {}, { t, name: hostId })
  await conductor.waitForLine(/elected: this conductor now schedules/, LONG)

  const ref = (name: string) => ({ app, name })
  const deep = `{"image":"x","env":${'['.repeat(5000)}${']'.repeat(5000)}}`
  const huge = JSON.stringify({ image: TEST_IMAGE, env: { PAD: 'h'.repeat(1_400_000) } })
  const refused = await c.etcd.client.put(c.keys.manifest(ref('two-mb'))).value('x'.repeat(2_000_000)).then(() => 'stored', (err: Error) => err.message)
  t.match(refused, /request is too large/, 'etcd itself refuses a 2 MB put (--max-request-bytes 1.5 MiB)')
  await putManifest(c, ref('deep'), deep)
  await putManifest(c, ref('huge'), huge)
  for (let i = 0; i < 3; i++) await putManifest(c, ref(`junk${i}`), `[${'"j",'.repeat(350_000)}"j"]`)
  await putManifest(c, ref('passwd'), { image: '../../etc/passwd' })
  await putManifest(c, ref('ssrf'), { image: '../../127.0.0.1:9/path' })
  await putManifest(c, ref('web'), { image: TEST_IMAGE, services: { web: 80 } })

  await waitFor(async () => (await listByLabel(LABELS.host, hostId)).some(x => x.State === 'running'), { ...LONG, what: 'the valid app running' })
  t.match(await statusWhere(c, ref('deep'), s => s.phase === 'Invalid', 'deep: Invalid'),
    { errors: [{ path: '', message: 'the manifest nests deeper than 8 levels (limits.depth)' }] })
  t.match(await statusWhere(c, ref('huge'), s => s.phase === 'Invalid', 'huge: Invalid'),
    { errors: [{ path: '', message: /^the manifest is 14000\d\d bytes; the limit is 65536 \(limits\.bytes\)$/ }] })
  t.match(await statusWhere(c, ref('junk0'), s => s.phase === 'Invalid', 'junk: Invalid'), { errors: [{ message: /limit is 65536/ }] })
  t.match(await statusWhere(c, ref('passwd'), s => s.phase === 'Invalid', 'passwd: Invalid'),
    { errors: [{ path: '/image', message: /^image "\.\.\/\.\.\/etc\/passwd" names an invalid registry host/ }] })
  t.match(await statusWhere(c, ref('ssrf'), s => s.phase === 'Invalid', 'ssrf: Invalid'), { errors: [{ path: '/image' }] })
  t.same([...new Set((await assignments(c)).map(a => a.name))], ['web'], 'only the valid manifest is assigned')

  // The policy: an invalid one is logged and changes nothing; a valid one's limits apply.
  const twoKb = { image: TEST_IMAGE, scale: 0, env: { PAD: 'k'.repeat(2000) } }
  await putManifest(c, ref('twokb'), twoKb)
  await statusWhere(c, ref('twokb'), s => s.phase === 'Stopped', 'twokb valid under the defaults')
  await c.etcd.client.put(c.keys.policy).value('{"limits": {"bytes": "small"}}')
  await conductor.waitForLine(/the cluster policy is invalid; keeping the last valid one/, LONG)
  await c.etcd.client.put(c.keys.policy).value(JSON.stringify({ limits: { bytes: 1024, depth: 4 } }))
  t.match(await statusWhere(c, ref('twokb'), s => s.phase === 'Invalid', 'twokb Invalid under the policy'),
    { errors: [{ message: /the limit is 1024 \(limits\.bytes\)/ }] })
  await c.etcd.client.put(c.keys.policy).value('["not", "a", "policy"]')
  await putManifest(c, ref('twokb2'), twoKb)
  t.match(await statusWhere(c, ref('twokb2'), s => s.phase === 'Invalid', 'the last valid policy still applies'),
    { errors: [{ message: /the limit is 1024/ }] })
  t.equal(conductor.lines.filter(l => l.includes('the cluster policy is invalid')).length, 2, 'each invalid policy logged once')

  t.equal(conductor.exit(), undefined, 'the conductor (and its scheduler) still runs')
  t.notMatch(conductor.output(), /RangeError|Maximum call stack/, 'no stack overflow anywhere')
})
