// `dokkaacfg up` and `down` as a user runs them: a two-host cluster, grown to three,
// shrunk to one, then removed, leaving nothing behind.
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KeyLayout } from '../schemas/index.js'
import { TlsFetcher } from '../kit/tls-fetch.js'
import { findLeftovers } from './lab-leftovers.js'
import { allowLabTeardown, canRunLabs, freeSubnet, installedDokkaa, installedDokkaaUntouched, labEtcdClient, randomLabName, testRunDir, type LabUpResult } from './lab-test-support.js'
import { nodeEntry } from './local-agents.js'
import { runCli } from './cli-test-support.js'

const skip = canRunLabs()
const installed = installedDokkaa()
const TEST_MS = 300_000
allowLabTeardown(t, TEST_MS)

const cli = (args: string[]) => runCli(args)

t.test('up --scale grows and shrinks a local cluster; down leaves nothing', { skip, timeout: TEST_MS }, async t => {
  const name = randomLabName('dku')
  const subnet = await freeSubnet()
  // State, etcd data and logs in a temp dir of this test's, never /var/lib/dokkaa-cfg.
  const stateDir = mkdtempSync(join(tmpdir(), 'dokkaa-cfg-'))
  // Where `dokkaacfg up` puts the hosts' sockets and exec roots: the tests' own run dir.
  const runDir = testRunDir(name)
  const flags = ['--name', name, '--state-dir', stateDir, '--run-dir', runDir]
  // Before the first `up`: `down` removes whatever the state file records by then.
  t.teardown(async () => {
    const d = await cli(['down', ...flags])
    if (d.status !== 0) t.comment(`down at teardown failed: ${d.stderr}`)
    rmSync(stateDir, { recursive: true, force: true })
  })

  const up2 = await cli(['--json', 'up', '--scale=2', '--subnet', subnet, '--image', 'dokkaa/busybox:test', ...flags])
  t.equal(up2.status, 0, 'up --scale=2 succeeds', { stderr: up2.stderr })
  const r2 = JSON.parse(up2.stdout) as LabUpResult
  t.same(r2.added, [`${name}-h1`, `${name}-h2`])
  // One cluster key, mode 0600, in the cluster's state dir; the builder seals secrets with it.
  const keyFile = join(stateDir, name, 'cluster.key')
  t.equal(statSync(keyFile).mode & 0o777, 0o600, 'the cluster key file, mode 0600')
  if (r2.consoleUrl && r2.rootPasswordFile) {
    const auth = `Basic ${Buffer.from(`root:${readFileSync(r2.rootPasswordFile, 'utf8').trim()}`).toString('base64')}`
    t.match(r2.consoleUrl, /^https:\/\//, 'the builder serves HTTPS')
    const https = new TlsFetcher({ ca: readFileSync(r2.caFile!) })
    const res = await https.fetch(`${r2.consoleUrl}api/v1/apps/labsec/secrets/s`, { method: 'PUT', headers: { authorization: auth, 'content-type': 'application/octet-stream' }, body: 'v' })
    t.equal(res.status, 201, 'the builder has the key: a secret is stored', { body: await res.text() })
  }
  t.match(up2.stderr, /✓ host/, 'progress lines on stderr')

  const etcd = labEtcdClient(r2)
  t.teardown(() => etcd.close())
  const registered = async () => (await etcd.getAll().prefix(new KeyLayout('').hosts).keys()).sort()
  if (nodeEntry('conductor')) {
    t.same(await registered(), [`/hosts/${name}-h1`, `/hosts/${name}-h2`], 'both conductors registered in the cluster\'s etcd')
  }

  const up3 = await cli(['up', '--scale=3', ...flags])
  t.equal(up3.status, 0, 'up --scale=3 succeeds', { stderr: up3.stderr })
  t.match(up3.stdout, new RegExp(`added: ${name}-h3\\n`), 'only the third host is added')
  t.match(up3.stdout, /export ETCDCTL_API=3 ETCDCTL_ENDPOINTS=https:\/\//, 'tells how to point etcdctl at it')
  t.match(up3.stdout, /export ETCDCTL_CACERT=\S+\/pki\/ca\.crt ETCDCTL_CERT=\S+\/pki\/dokkaacfg\.crt ETCDCTL_KEY=\S+\/pki\/dokkaacfg\.key/, 'and with which certificate')

  const status = await cli(['--json', 'status', ...flags])
  const s = JSON.parse(status.stdout) as { hosts: { id: string; components: Record<string, string> }[] }
  t.equal(s.hosts.length, 3)
  t.ok(s.hosts.every(h => h.components.dockerd === 'running'), 'every host\'s dockerd runs')

  const up1 = await cli(['up', '--scale=1', ...flags])
  t.equal(up1.status, 0, 'up --scale=1 succeeds', { stderr: up1.stderr })
  t.match(up1.stdout, new RegExp(`removed: ${name}-h3, ${name}-h2`), 'hosts are removed highest first')
  if (nodeEntry('conductor')) t.same(await registered(), [`/hosts/${name}-h1`], 'removed hosts left the cluster')

  const down = await cli(['down', ...flags])
  t.equal(down.status, 0, 'down succeeds', { stderr: down.stderr })
  const left = await findLeftovers(name, subnet, [join(stateDir, name), runDir])
  t.same(left, { netns: [], links: [], iptables: [], mounts: [], processes: [], paths: [] }, 'down leaves no leftovers')

  const again = await cli(['down', ...flags])
  t.equal(again.status, 0, 'down again is a no-op')
  t.match(again.stdout, /nothing to remove/)
})

installedDokkaaUntouched(t, installed)
