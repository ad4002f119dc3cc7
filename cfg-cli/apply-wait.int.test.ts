// `dokkaacfg apply --wait` and `ps` as a user runs them, against a real builder on real
// etcd (its own key prefix). No scheduler or conductor runs: the test writes the status and
// instance records into etcd as they would, one step at a time, each step only once the
// CLI has shown the last one — so what is asserted is what the user saw, in order.
import t from 'tap'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KeyLayout, type InstanceRecord, type RolloutStatus, type StatusRecord } from '../schemas/index.js'
import { testEtcd } from '../test/support/etcd.js'
import { PROJECT_ROOT, startProcess, startTsProcess, type StartedProcess } from '../test/support/processes.js'
import { waitFor } from '../test/support/wait-for.js'
import { runCli } from './cli-test-support.js'

const ref = { app: 'shop', name: 'web' }
const LONG = { timeoutMs: 60_000 }

t.test('apply --wait follows the rollout of the revision it put; ps shows health', { timeout: 240_000 }, async t => {
  const etcd = testEtcd(t)
  const keys = new KeyLayout(etcd.prefix)
  const dir = mkdtempSync(join(tmpdir(), 'dokkaacfg-wait-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const builder = startTsProcess('builder/main.ts', [
    '--etcd', etcd.hosts.join(','), '--prefix', etcd.prefix, '--listen', '127.0.0.1:0', '--data-dir', dir, '--log-level', 'warn',
  ], {}, { t })
  const url = /console at (http:\/\/[^/]+)\/console\//.exec(await builder.waitForLine(/console at http/, LONG))![1]!
  const passwordFile = join(dir, 'generated_password.txt')
  await waitFor(() => existsSync(passwordFile), { what: 'the generated password' })
  const basic = `Basic ${Buffer.from(`root:${readFileSync(passwordFile, 'utf8').trim()}`).toString('base64')}`
  const tokenRes = await fetch(`${url}/api/v1/tokens`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/json' }, body: '{"name":"wait-test"}' })
  const token = (await tokenRes.json() as { token: string }).token
  const env = { DOKKAA_URL: url, DOKKAA_TOKEN: token, DOKKAA_CONFIG: join(dir, 'none.json') }
  const run = (...args: string[]) => runCli(args, { ...process.env, ...env })
  /** The CLI running in the background, its lines read as they come (stderr is a pipe: not a terminal). */
  const start = (...args: string[]): StartedProcess => startTsProcess('cfg-cli/main.ts', args, env, { t, name: 'dokkaacfg' })

  const file = join(dir, 'web.json')
  const write = (version: string) => writeFileSync(file, JSON.stringify({ image: 'dokkaa/busybox:test', scale: 3, services: { web: 80 }, health: { http: '/healthz' }, env: { VERSION: version } }))
  const manifestRevision = async () => Number((await etcd.client.get(keys.manifest(ref)).exec()).kvs[0]?.mod_revision ?? 0)
  const putStatus = (s: Partial<StatusRecord>) => etcd.client.put(keys.status(ref)).value(JSON.stringify({ desired: 3, running: 3, errors: [], problems: [], lastEvent: { at: new Date().toISOString(), message: 'sim' }, updatedAt: new Date().toISOString(), ...s }))
  const rollout = (from: number, to: number, r: Partial<RolloutStatus>): RolloutStatus => ({
    state: 'rolling', from: { revision: from, specHash: `h${from}` }, to: { revision: to, specHash: `h${to}` }, updated: 0, total: 3, startedAt: new Date().toISOString(), ...r,
  })
  const pullLine = (layers: number) => `instance 1 on h1: pulling localhost:5000/app:v2: ${layers} of 5 layers, ${(layers * 8).toFixed(1)} of 40.1 MB`
  /** Waits for the put the CLI makes: the manifest's revision past `after`. */
  const nextRevision = (after: number) => waitFor(async () => { const r = await manifestRevision(); return r > after && r }, { ...LONG, what: 'the CLI\'s put' })

  // --- revision 1 deployed: running, its rollout completed (a trap for a wait that does not match revisions)
  write('1')
  const first = await run('apply', '-f', file, '--app', 'shop')
  t.equal(first.status, 0, 'apply without --wait', { stderr: first.stderr })
  const r0 = await manifestRevision()
  await putStatus({ phase: 'Running', revision: r0, validRevision: r0, specHash: `h${r0}`, rollout: rollout(1, r0, { state: 'completed', updated: 3 }) })

  // --- ps: a HEALTH column, the last failed check, the fields with --json
  const inst = (index: number, extra: Partial<InstanceRecord>) => etcd.client.put(keys.instance({ ...ref, index })).value(JSON.stringify({
    host: 'h1', hostAddress: '10.0.0.1', containerId: `c${index}`, containerName: index ? `shop---web---${index}` : 'shop---web', state: 'running',
    specHash: `h${r0}`, ports: { web: 20000 + index }, restarts: 0, updatedAt: new Date().toISOString(), ...extra,
  }))
  // The images as a conductor reports them: a registry digest, a local id only (an image from no registry), nothing yet.
  const digest = `sha256:${'0123456789abcdef'.repeat(4)}`
  const imageId = `sha256:${'fedcba9876543210'.repeat(4)}`
  await inst(0, { health: 'healthy', healthySince: '2024-05-01T10:00:00.000Z', imageDigest: digest, imageId })
  await inst(1, { health: 'unhealthy', healthError: 'GET /healthz: 503', imageId })
  await inst(2, { state: 'pulling', pullProgress: '2 of 5 layers, 12.0 of 40.1 MB' })
  const ps = await run('ps', 'shop/web')
  t.equal(ps.status, 0, 'ps', { stderr: ps.stderr })
  const [header, ...rows] = ps.stdout.split('\n')
  t.match(header, /^INSTANCE\s+HOST\s+STATE\s+HEALTH\s+PORTS\s+RESTARTS\s+IMAGE$/)
  t.same(rows.slice(0, 3).map(r => r.split(/\s+/).slice(0, 4)), [
    ['shop/web/0', 'h1', 'running', 'healthy'], ['shop/web/1', 'h1', 'running', 'unhealthy'], ['shop/web/2', 'h1', 'pulling', '-'],
  ], 'healthy, unhealthy, and - for an instance without a check')
  t.same(rows.slice(0, 3).map(r => r.split(/\s+/).at(-1)), ['sha256:0123456789ab', 'id:fedcba987654', '-'], 'IMAGE: the digest, else the local id, else -')
  t.match(ps.stdout, /\nshop\/web\/1: last failed check: GET \/healthz: 503\n/, 'why it is unhealthy')
  t.match(ps.stdout, /\nshop\/web\/2: pulling: 2 of 5 layers, 12\.0 of 40\.1 MB\n/, 'how far a pull got')
  const psJson = await run('--json', 'ps', 'shop/web')
  t.match(JSON.parse(psJson.stdout), [
    { index: 0, health: 'healthy', healthySince: '2024-05-01T10:00:00.000Z', imageDigest: digest, imageId },
    { index: 1, health: 'unhealthy', healthError: 'GET /healthz: 503', imageId }, { index: 2, pullProgress: '2 of 5 layers, 12.0 of 40.1 MB' },
  ], 'the records as the conductor wrote them, image fields included')
  t.notOk('health' in JSON.parse(psJson.stdout)[2], 'no health field without a check')
  t.notOk('imageDigest' in JSON.parse(psJson.stdout)[1], 'no digest field without a digest')

  // --- a rollout that completes: exit 0, plain lines as it goes
  write('2')
  const ok = start('apply', '-f', file, '--app', 'shop', '--wait')
  const r1 = await nextRevision(r0)
  await ok.waitForLine(`shop/web: waiting for the scheduler (revision ${r1})`, LONG)
  t.notOk(ok.exit(), 'the last deploy\'s completed rollout does not end the wait')
  for (const updated of [0, 1, 2]) {
    await putStatus({ phase: 'Updating', revision: r1, validRevision: r0, running: 3, rollout: rollout(r0, r1, { updated }) })
    await ok.waitForLine(`shop/web: rolling ${updated}/3`, LONG)
    if (updated !== 1) continue
    // A pull under way: its line once, again only when it moves.
    for (const layers of [2, 2, 4]) {
      await putStatus({ phase: 'Updating', revision: r1, validRevision: r0, running: 3, rollout: rollout(r0, r1, { updated }), pulling: [pullLine(layers)] })
      await ok.waitForLine(`shop/web: ${pullLine(layers)}`, LONG)
      await new Promise(r => setTimeout(r, 1200))
    }
  }
  await putStatus({ phase: 'Running', revision: r1, validRevision: r1, rollout: rollout(r0, r1, { state: 'completed', updated: 3, endedAt: new Date().toISOString() }) })
  t.equal((await ok.exited).code, 0, 'exit 0 once the rollout completed', { output: ok.output() })
  t.match(ok.stdout.join('\n'), /^shop\/web: applied$/m)
  t.same(ok.stderr, [
    `shop/web: waiting for the scheduler (revision ${r1})`, 'shop/web: rolling 0/3', 'shop/web: rolling 1/3', `shop/web: ${pullLine(2)}`, `shop/web: ${pullLine(4)}`,
    'shop/web: rolling 2/3', `shop/web: rolled out revision ${r1} (3/3)`,
  ], 'one plain line per change (a pull\'s line once while it does not move), nothing else: not a terminal')

  // --- on a terminal (script(1) gives the CLI a pseudo-terminal): bars redrawn in place
  write('2b')
  const command = [process.execPath, '--import', 'tsx', 'cfg-cli/main.ts', 'apply', '-f', file, '--app', 'shop', '--wait'].join(' ')
  const tty = startProcess('script', ['-qec', command, '/dev/null'], env, { t, cwd: PROJECT_ROOT, name: 'dokkaacfg on a tty' })
  const rt = await nextRevision(r1)
  await tty.waitForLine(`shop/web  [░░░░░░░░░░░░░░░░░░░░]  waiting for the scheduler (revision ${rt})`, LONG)
  await putStatus({ phase: 'Updating', revision: rt, validRevision: r1, rollout: rollout(r1, rt, { updated: 1 }) })
  await tty.waitForLine('shop/web  [███████░░░░░░░░░░░░░]  rolling 1/3', LONG)
  await putStatus({ phase: 'Running', revision: rt, validRevision: rt, rollout: rollout(r1, rt, { state: 'completed', updated: 3 }) })
  t.equal((await tty.exited).code, 0, 'on a terminal too', { output: tty.output() })
  const screen = tty.output()
  t.match(screen, /\x1b\[1A\s*\x1b\[2K  shop\/web  \[███████░+\]  rolling 1\/3/, 'the bar line is redrawn over the last one')
  t.match(screen, /\x1b\[1A\s*\x1b\[2K✓ shop\/web  \[█{20}\]  rolled out revision \d+ \(3\/3\)/, 'and ends full')
  t.notMatch(screen, /^shop\/web: rolling/m, 'no plain lines on a terminal')

  // --- a rollout that is rolled back: exit 8, the reason printed
  write('3')
  const bad = start('apply', '-f', file, '--app', 'shop', '--wait', '--timeout', '5m')
  const r2 = await nextRevision(rt)
  await putStatus({ phase: 'Updating', revision: r2, validRevision: r1, rollout: rollout(r1, r2, {}) })
  await bad.waitForLine('shop/web: rolling 0/3', LONG)
  await putStatus({ phase: 'RolledBack', revision: r2, validRevision: r1, rollout: rollout(r1, r2, { state: 'rolled-back', reason: 'instance 0 unhealthy: GET /healthz: 503', endedAt: new Date().toISOString() }) })
  t.equal((await bad.exited).code, 8, 'a rollback exits 8', { output: bad.output() })
  const said = bad.stderr.join('\n')
  t.match(said, `shop/web: rolled back to revision ${r1}: instance 0 unhealthy: GET /healthz: 503`)
  t.match(said, /error: 1 of 1 applied manifest did not roll out/)
  t.match(said, /hint: the manifests as written stay in etcd/)
  t.notMatch(said, /\x1b\[/, 'no escape codes in a log')

  // --- paused, with --json: one document on stdout saying how it ended
  write('4')
  const paused = start('--json', 'apply', '-f', file, '--app', 'shop', '--wait')
  const r3 = await nextRevision(r2)
  await putStatus({ phase: 'Paused', revision: r3, validRevision: r1, rollout: rollout(r1, r3, { state: 'paused', updated: 1, reason: 'instance 1 crash-looping' }) })
  t.equal((await paused.exited).code, 8, 'paused exits 8')
  t.match(JSON.parse(paused.stdout.join('\n')), [{ app: 'shop', name: 'web', result: 'applied', revision: r3, rollout: { state: 'paused', done: 1, total: 3, reason: 'instance 1 crash-looping' } }])

  // --- nobody reads it: the timeout
  write('5')
  const late = await run('apply', '-f', file, '--app', 'shop', '--wait', '--timeout', '1s')
  t.equal(late.status, 9, 'a timeout exits 9', { stderr: late.stderr })
  t.match(late.stderr, /error: gave up waiting after 1s:\nshop\/web: not rolled out yet: waiting for the scheduler \(revision \d+\)/)

  // --- the scheduler finds it invalid: its errors
  write('6')
  const r4 = await manifestRevision()
  const inv = start('apply', '-f', file, '--app', 'shop', '--wait')
  const r5 = await nextRevision(r4)
  await putStatus({ phase: 'Invalid', revision: r5, validRevision: r1, errors: [{ path: '/links/0', message: 'no manifest provides service "db"' }] })
  t.equal((await inv.exited).code, 8, 'invalid exits 8')
  t.match(inv.stderr.join('\n'), `shop/web: revision ${r5} is invalid (1 error)\n  /links/0: no manifest provides service "db"`)

  const usage = await run('apply', '-f', file, '--app', 'shop', '--timeout', 'soon')
  t.equal(usage.status, 2, 'a timeout that is not a duration is a usage error')
  t.match(usage.stderr, /--timeout: "soon" is not a duration/)
})
