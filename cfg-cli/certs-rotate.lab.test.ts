// Issue 12, test 5, through the real `dokkaacfg`: a two-host lab cluster (TLS etcd, roles)
// runs a workload; `certs rotate` issues every certificate but the CA's again and restarts
// every part onto its new one. No container is stopped, restarted or moved; afterwards each
// part works with its new certificate: the builder answers `ps`, the scheduler and the
// conductors place a third instance, and the ambassadors' DNS names it.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { InstanceRecord } from '../schemas/index.js'
import { allowLabTeardown, canRunLabs, installedDokkaa, installedDokkaaUntouched, upLabCluster } from './lab-test-support.js'
import { bipGateway, nodeEntry } from './local-agents.js'
import type { LocalState } from './local-provider.js'
import { runInNetns } from './run-command.js'
import { waitFor } from '../test/support/wait-for.js'

const skip = canRunLabs() || (!nodeEntry('conductor') || !nodeEntry('ambassador') || !nodeEntry('builder') ? 'needs conductor, ambassador and builder' : false)
const IMAGE = 'dokkaa/busybox:test'
const installed = installedDokkaa()
const TEST_MS = 240_000
allowLabTeardown(t, TEST_MS)

interface CertJson { name: string; serial: string; status: string }

t.test('certs rotate under a running workload: new certificates everywhere, no container restarted', { skip, timeout: TEST_MS }, async t => {
  const c = await upLabCluster(t, { namePrefix: 'dkr', scale: 2, image: IMAGE })
  const { cli, flags, etcd, keys, lab, hostIndex } = c
  const pkiDir = join(c.stateDir, c.name, 'pki')
  const ref = { app: 'shop', name: 'web' }
  const web = { image: IMAGE, scale: 2, services: { web: 80 }, command: 'echo "hello from $(hostname)" > /www/index.html; exec httpd -f -p 80 -h /www' }
  await etcd.put(keys.manifest(ref)).value(JSON.stringify(web))
  const records = async () => Object.values(await etcd.getAll().prefix(`${keys.instances}shop/web/`).strings()).map(v => JSON.parse(v) as InstanceRecord)
  const running = async (n: number) => { const rs = await records(); return rs.length === n && rs.every(r => r.state === 'running' && r.containerId) ? rs : undefined }
  const before = await waitFor(() => running(2), { timeoutMs: 60_000, intervalMs: 500, what: 'shop/web: 2 instances running' })
  const started = async (r: InstanceRecord) => {
    const info = await lab.docker(hostIndex(r.host)).getContainer(r.containerId!).inspect()
    return { id: info.Id, startedAt: info.State.StartedAt, restarts: info.RestartCount, running: info.State.Running }
  }
  const containersBefore = await Promise.all(before.map(started))

  const certs = async () => {
    const r = await cli(['--json', 'certs', 'ls', '--pki-dir', pkiDir])
    return new Map((JSON.parse(r.stdout) as CertJson[]).map(x => [x.name, x]))
  }
  const certsBefore = await certs()
  const state = () => JSON.parse(readFileSync(join(c.stateDir, c.name, 'state.json'), 'utf8')) as LocalState
  const pids = (s: LocalState) => [s.builder?.process?.pid, ...Object.values(s.agents).flatMap(a => [a.conductor?.pid, a.ambassador?.pid])]
  const pidsBefore = pids(state())

  const rotate = await cli(['certs', 'rotate', ...flags])
  t.equal(rotate.status, 0, 'dokkaacfg certs rotate succeeds', { stderr: rotate.stderr, stdout: rotate.stdout })
  t.match(rotate.stdout, new RegExp(`restarted: builder, ${c.name}-h1-ambassador, ${c.name}-h1-conductor, ${c.name}-h2-ambassador, ${c.name}-h2-conductor`), 'every part restarted, one at a time')

  const certsAfter = await certs()
  t.equal(certsAfter.get('ca')!.serial, certsBefore.get('ca')!.serial, 'the CA stays: every certificate still chains to it')
  const leaves = [...certsBefore.keys()].filter(n => n !== 'ca')
  t.ok(leaves.length >= 8, `the leaves: ${leaves.join(', ')}`)
  t.same(leaves.filter(n => certsAfter.get(n)?.serial === certsBefore.get(n)!.serial), [], 'every other certificate has a new serial')
  t.ok([...certsAfter.values()].every(x => x.status === 'valid'), 'and is valid')
  const pidsAfter = pids(state())
  t.same(pidsAfter.filter((p, i) => p === pidsBefore[i]), [], 'every part is a new process')

  // The workload never noticed: same containers, never restarted, same start time.
  const after = await running(2)
  t.ok(after, 'both instances still running')
  t.same(await Promise.all(after!.map(started)), containersBefore, 'the same containers, same start time, no restart')

  // Each part works with its new certificate.
  const login = await cli(['login', '--url', c.up.consoleUrl, '--ca', c.up.caFile!, '--password-file', c.up.rootPasswordFile])
  t.equal(login.status, 0, 'the builder (new certificate) logs in', { stderr: login.stderr })
  const ps = await cli(['--json', 'ps', 'shop'])
  t.equal((JSON.parse(ps.stdout) as unknown[]).length, 2, 'and reads the instances from etcd for ps')
  await etcd.put(keys.manifest(ref)).value(JSON.stringify({ ...web, scale: 3 }))
  const three = await waitFor(() => running(3), { timeoutMs: 60_000, intervalMs: 500, what: 'a third instance placed and running after the rotation' })
  t.equal(three.length, 3, 'the scheduler and conductors (new certificates) place and run a third instance')
  const h = lab.hosts()[0]!
  const addresses = await waitFor(async () => {
    // SRV: host:port per instance (A records are the hosts' addresses, two here).
    const dig = await runInNetns(h.netns, 'dig', ['+short', `@${bipGateway(h.bip)}`, 'web.shop.dokkaa.local', 'SRV'])
    const a = dig.stdout.trim().split('\n').filter(Boolean)
    return a.length === 3 ? a : undefined
  }, { timeoutMs: 30_000, intervalMs: 500, what: `${h.id}'s ambassador to name all three instances` })
  t.equal(addresses.length, 3, `${h.id}'s ambassador (new certificate) follows etcd: web.shop.dokkaa.local names 3 instances (SRV)`)
})

installedDokkaaUntouched(t, installed)
