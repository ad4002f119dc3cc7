// The user-data the digitalocean provider sends, run as far as this offline machine
// allows: write_files lands in a temporary root; the systemd units it carries pass
// `systemd-analyze verify`; in a namespace host with an `eth1` (the droplet's VPC
// interface, here a veth end) the runcmd step that fills in __PRIVATE_IP__ runs for
// real, and etcd starts from the etcd.env it wrote and answers on that address.
// Not run: apt (package_update/packages), the Node download, `npm install -g dokkaa`
// and `systemctl` (no internet, no systemd here).
import t from 'tap'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { parse } from 'yaml'
import { renderCloudInit } from './cloud-init.js'
import { dropletCloudInit, type DoSettings } from './do-plan.js'
import { NetnsLab } from './netns-lab.js'
import { allowLabTeardown, canRunLabs, freeSubnet, installedDokkaa, installedDokkaaUntouched, randomLabName, testRunDir } from './lab-test-support.js'
import { run, runInNetns } from './run-command.js'
import { spawnDaemon, stopProcess, waitUntil } from './processes.js'

const settings: DoSettings = {
  cluster: 'demo', namePrefix: 'demo', region: 'ams3', size: 's-2vcpu-4gb', image: 'debian-12-x64', sshKeys: [],
  prefix: '', leaseTtl: 5, nodeUrl: 'https://nodejs.org/dist/v20.19.4/node-v20.19.4-linux-x64.tar.xz', dokkaaPackage: 'dokkaa@0.1.0', dnsUpstream: '67.207.67.2',
}

const installed = installedDokkaa()
const FILES_MS = 60_000
const NETNS_MS = 120_000
allowLabTeardown(t, FILES_MS, NETNS_MS)

interface UserData { write_files: { path: string; content: string; permissions?: string }[]; runcmd: (string | string[])[] }

const KEY = 'c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0zMmJ5dGVzIQ=='

function writeFiles(ud: UserData, root: string): void {
  for (const f of ud.write_files) {
    const p = join(root, f.path)
    mkdirSync(dirname(p), { recursive: true })
    writeFileSync(p, f.content)
    if (f.permissions) chmodSync(p, parseInt(f.permissions, 8))
  }
}

t.test('write_files of the etcd droplet land where the units read them, and the units verify', { timeout: FILES_MS }, async t => {
  const root = mkdtempSync(join(tmpdir(), 'dokkaa-ci-root-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  const ud = parse(renderCloudInit(dropletCloudInit(settings, 'demo-h1', undefined, KEY))) as UserData
  writeFiles(ud, root)
  for (const u of ['etcd', 'conductor', 'ambassador', 'builder']) {
    const unit = join(root, 'etc/systemd/system', `dokkaa-${u}.service`)
    t.ok(existsSync(unit), `${u} unit written`)
    const envFile = readFileSync(unit, 'utf8').match(/^EnvironmentFile=(.+)$/m)?.[1]
    t.ok(envFile && existsSync(join(root, envFile)), `its EnvironmentFile ${envFile} is written too`)
  }
  const keyFile = join(root, 'etc/dokkaa/cluster.key')
  t.equal(readFileSync(keyFile, 'utf8').trim(), KEY, 'the cluster key lands where the builder and conductor read it')
  t.equal(statSync(keyFile).mode & 0o777, 0o600, 'mode 0600')
  const analyze = await run('sh', ['-c', 'command -v systemd-analyze'], { allowFail: true })
  if (analyze.status !== 0) { t.comment('systemd-analyze is not installed: units not verified'); return }
  const units = ['etcd', 'conductor', 'ambassador', 'builder'].map(u => join(root, 'etc/systemd/system', `dokkaa-${u}.service`))
  const v = await run('systemd-analyze', ['verify', ...units], { allowFail: true })
  t.equal(v.status, 0, 'systemd-analyze verify accepts the four units', { stderr: v.stderr })
  t.equal(v.stderr.trim(), '', 'with no warnings')
  const bad = join(root, 'bad.service')
  writeFileSync(bad, '[Service]\nExecStart=not-a-command\n')
  t.not((await run('systemd-analyze', ['verify', bad], { allowFail: true })).status, 0, '(and verify does reject a broken unit)')
})

t.test('in a namespace host: __PRIVATE_IP__ from eth1, etcd starts from the written etcd.env', { skip: canRunLabs(), timeout: NETNS_MS }, async t => {
  const name = randomLabName('dkc')
  const subnet = await freeSubnet()
  const base = mkdtempSync(join(tmpdir(), 'dokkaa-ci-'))
  const root = join(base, 'root')
  // Defined (nothing made yet) so the teardown exists before the bridge, the host and etcd do.
  const lab = NetnsLab.define({ name, subnet, dataDir: join(base, 'lab'), runDir: testRunDir(name) })
  let etcd: ReturnType<typeof spawnDaemon> | undefined
  t.teardown(async () => {
    try {
      if (etcd) await stopProcess(etcd, 5000)
      await lab.destroy()
    } finally {
      rmSync(base, { recursive: true, force: true })
    }
  })
  await lab.ensureBridge()
  const h = await lab.addHost(1, { dockerd: false })
  // The droplet's VPC address, on an eth1 inside the namespace (one end of a veth pair living there too): nothing leaves it.
  const vpc = '10.254.0.7'
  await run('ip', ['-n', h.netns, 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1p'])
  await run('ip', ['-n', h.netns, 'addr', 'add', `${vpc}/32`, 'dev', 'eth1'])
  await run('ip', ['-n', h.netns, 'link', 'set', 'eth1', 'up'])

  const ud = parse(renderCloudInit(dropletCloudInit(settings, 'demo-h1', undefined, KEY))) as UserData
  writeFiles(ud, root)
  const fill = ud.runcmd.map(c => (Array.isArray(c) ? c[2] ?? '' : c)).find(c => c.includes('__PRIVATE_IP__'))
  t.ok(fill, 'user-data has the step that fills in the private address')
  // The same shell, pointed at the temporary root instead of /: never at this machine's
  // own (an installed Dokkaa's) files.
  const script = fill!.replaceAll('/etc/dokkaa/', `${root}/etc/dokkaa/`)
  if (!t.notMatch(script, /(^|[\s'"=])\/(etc|var|run|opt)\/dokkaa/, 'the step names only files under the temporary root')) return
  const r = await runInNetns(h.netns, 'sh', ['-c', script], { allowFail: true })
  t.equal(r.status, 0, 'it runs', { stderr: r.stderr })
  const env = readFileSync(join(root, 'etc/dokkaa/env'), 'utf8')
  t.match(env, new RegExp(`^DOKKAA_HOST_ADDRESS=${vpc.replace(/\./g, '\\.')}$`, 'm'), 'the host address is eth1\'s')
  t.match(env, new RegExp(`^DOKKAA_ETCD=http://${vpc.replace(/\./g, '\\.')}:2379$`, 'm'), 'the etcd droplet points at itself')
  const etcdEnv = readFileSync(join(root, 'etc/dokkaa/etcd.env'), 'utf8').replace('/var/lib/dokkaa/etcd', join(base, 'etcd-data'))
  t.notMatch(etcdEnv, /__PRIVATE_IP__/)
  if (!t.notMatch(etcdEnv, /=\/var\/lib\/dokkaa(\/|$)/m, 'etcd keeps its data in the test\'s dir, not /var/lib/dokkaa')) return
  writeFileSync(join(root, 'etc/dokkaa/etcd.env'), etcdEnv)

  // What dokkaa-etcd.service does: EnvironmentFile + ExecStart=/usr/bin/etcd.
  etcd = spawnDaemon(['sh', '-c', `set -a; . ${root}/etc/dokkaa/etcd.env; exec /usr/bin/etcd`], `${root}/etc/dokkaa/etcd.env`, join(base, 'etcd.log'), { netns: h.netns })
  const healthy = await waitUntil(async () => (await runInNetns(h.netns, 'etcdctl', ['--endpoints', `http://${vpc}:2379`, 'endpoint', 'health'], { env: { ...process.env, ETCDCTL_API: '3' } })).status === 0, 30_000, 300)
  t.ok(healthy, `etcd from the written etcd.env answers on http://${vpc}:2379`)
  const member = (await runInNetns(h.netns, 'etcdctl', ['--endpoints', `http://${vpc}:2379`, 'member', 'list'], { env: { ...process.env, ETCDCTL_API: '3' }, allowFail: true })).stdout
  t.match(member, /demo-h1, http:\/\/10\.254\.0\.7:2380, http:\/\/10\.254\.0\.7:2379/, 'named after the droplet, peer and client URLs on the VPC address')
})

installedDokkaaUntouched(t, installed)
