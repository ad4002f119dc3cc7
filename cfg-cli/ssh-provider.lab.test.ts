// `dokkaacfg up/down --provider=ssh` against real sshd (Debian's openssh-server) in
// namespace hosts: two "machines" with their own address, sshd, dockerd and files
// (see ssh-lab.ts). The checkout is bound at /opt/dokkaa (--skip-install: no apt,
// copy or npm ci here); there is no systemd in the namespaces, so the hosts take the
// setsid + pid-file path of deploy/ssh-host.sh. up 2 -> etcd on host 1, conductor,
// ambassador and builder on both, registered in that etcd; up 1 -> host 2 cleaned;
// down -> every Dokkaa file and process gone from both, nothing else touched. The hosts
// start without this machine's own Dokkaa files (an installed Dokkaa's pid files, state
// and logs are hidden in them), and that installed Dokkaa still runs afterwards.
import t from 'tap'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NetnsLab } from './netns-lab.js'
import { TlsFetcher } from '../kit/tls-fetch.js'
import { allowLabTeardown, canRunLabs, freeSubnet, installedDokkaa, installedDokkaaUntouched, labEtcdClient, randomLabName, testRunDir, type LabUpResult } from './lab-test-support.js'
import { ensureSshd, hostShell, makeKeyPair, startSshHost, stopSshHost, type SshHost } from './ssh-lab.js'
import { runCli } from './cli-test-support.js'
import { packageRoot } from './local-agents.js'
import { waitUntil } from './processes.js'
import { run } from './run-command.js'

const skip = canRunLabs()
const installed = installedDokkaa()
const TEST_MS = 300_000
allowLabTeardown(t, TEST_MS)

t.test('ssh provider: up 2, up 1, down on namespace hosts running sshd', { skip, timeout: TEST_MS }, async t => {
  await ensureSshd()
  const name = randomLabName('dks')
  const subnet = await freeSubnet()
  const base = mkdtempSync(join(tmpdir(), 'dokkaa-ssh-'))
  const stateDir = join(base, 'state')
  // Everything below is made after this teardown exists, and is recorded (lab state,
  // sshds) as it is made, so a failure or timeout anywhere still removes all of it.
  const lab = NetnsLab.define({ name, subnet, dataDir: join(base, 'lab'), runDir: testRunDir(name) })
  const sshds: SshHost[] = []
  t.teardown(async () => {
    try {
      const down = await runCli(['down', '--provider=ssh', '--name', name, '--state-dir', stateDir])
      if (down.status !== 0) t.comment(`down at teardown failed (the lab's teardown kills what it left): ${down.stderr}`)
      for (const s of sshds) await stopSshHost(s)
      await lab.destroy()
    } finally {
      rmSync(base, { recursive: true, force: true })
    }
  })
  await lab.ensureBridge()
  await Promise.all([lab.addHost(1), lab.addHost(2)])
  const key = await makeKeyPair(base)
  for (const i of [1, 2]) await startSshHost(lab, i, join(base, 'hosts'), key, { checkout: packageRoot(), started: sshds })
  const [a, b] = sshds.map(s => s.address) as [string, string]
  for (const [i, s] of sshds.entries()) {
    const seen = await hostShell(s, 'ls -d /etc/dokkaa /var/lib/dokkaa /var/log/dokkaa /run/dokkaa /etc/systemd/system/dokkaa-* 2>/dev/null; true')
    t.equal(seen.stdout, '', `host ${i + 1} starts with none of this machine's Dokkaa files`, { stderr: seen.stderr })
  }
  const ssh = (addr: string, cmd: string) => run('ssh', ['-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${join(stateDir, name, 'known_hosts')}`, '-i', key, `root@${addr}`, cmd], { allowFail: true })
  const flags = ['--provider=ssh', '--name', name, '--state-dir', stateDir]

  const t0 = Date.now()
  const up2 = await runCli(['--json', 'up', ...flags, '--scale=2', '--hosts', `root@${a},root@${b}`, '--ssh-key', key, '--skip-install', '--dns-upstream', 'none'])
  t.equal(up2.status, 0, 'up --scale=2 succeeds', { stderr: up2.stderr })
  const r = JSON.parse(up2.stdout || '{}') as LabUpResult
  t.same(r.added, [`${name}-h1`, `${name}-h2`])
  t.same(r.etcdEndpoints, [`https://${a}:2379`], 'etcd: TLS only')
  t.match(up2.stderr, /✓ check Debian, init system and node/, 'progress on stderr')
  t.ok(existsSync(join(stateDir, name, 'known_hosts')), 'host keys pinned in the cluster\'s own known_hosts')

  const plain = await fetch(`http://${a}:2379/health`, { signal: AbortSignal.timeout(3000) }).then(res => `answered ${res.status}`, (e: Error) => `refused (${e.message})`)
  t.match(plain, /^refused/, 'a plain-http client gets nothing from etcd')
  const etcd = labEtcdClient(r)
  t.teardown(() => etcd.close())
  const hosts = async () => (await etcd.getAll().prefix('/hosts/').keys()).sort()
  t.ok(await waitUntil(async () => (await hosts()).length === 2, 90_000, 500), 'both conductors register in host 1\'s etcd', { hosts: await hosts().catch(String) })
  t.comment(`up --scale=2 --skip-install: ${((Date.now() - t0) / 1000).toFixed(1)} s to both conductors registered`)
  t.same(await hosts(), [`/hosts/${name}-h1`, `/hosts/${name}-h2`])
  t.equal(r.consoleUrl, `https://${a}:8080/`, 'the console over HTTPS')
  const https = new TlsFetcher({ ca: readFileSync(r.caFile!) })
  t.ok(await waitUntil(async () => (await https.fetch(r.consoleUrl, { signal: AbortSignal.timeout(2000) }).catch(() => ({ status: 599 }))).status < 500, 90_000, 500), `the builder answers on ${r.consoleUrl}, its certificate signed by the cluster CA`)
  t.equal((await ssh(b, 'test -e /run/dokkaa/builder.pid && echo yes || echo no')).stdout.trim(), 'no', 'one builder per cluster: none on host 2')
  const envB = (await ssh(b, 'cat /etc/dokkaa/env')).stdout
  t.match(envB, new RegExp(`^DOKKAA_ETCD=https://${a.replace(/\./g, '\\.')}:2379$`, 'm'), 'host 2 points at host 1\'s etcd')
  t.equal((await ssh(b, 'cd /etc/dokkaa/pki && stat -c "%n %a" * | sort')).stdout.trim(),
    [`ambassador-${name}-h2.crt 644`, `ambassador-${name}-h2.key 600`, 'ca.crt 644', `conductor-${name}-h2.crt 644`, `conductor-${name}-h2.key 600`].join('\n'),
    'host 2 holds its own certificates (keys 0600) and the CA certificate: no CA key, no other host\'s or part\'s')
  t.match(envB, /^DOKKAA_AMBASSADOR_ADDRESS=172\.30\.2\.1$/m, 'the ambassador address is host 2\'s docker bridge')
  t.equal((await ssh(b, 'ls /etc/systemd/system/ | grep dokkaa-')).stdout.trim().split('\n').sort().join(' '),
    'dokkaa-ambassador.service dokkaa-builder.service dokkaa-conductor.service dokkaa-etcd.service', 'the units from deploy/ are written')
  t.match((await ssh(b, 'ls /run/dokkaa')).stdout, /conductor\.pid/, 'without systemd: pid files')
  t.equal((await ssh(b, 'test -e /etc/dokkaa/etcd.env && echo yes || echo no')).stdout.trim(), 'no', 'host 2 runs no etcd')
  // The same cluster key on every host, mode 0600 (the builder sealing with it: builder/secrets.int.test.ts, local-up-down.lab.test.ts).
  const localKey = readFileSync(join(stateDir, name, 'cluster.key'), 'utf8')
  for (const addr of [a, b]) {
    t.equal((await ssh(addr, 'stat -c %a /etc/dokkaa/cluster.key')).stdout.trim(), '600', `${addr}: the cluster key, mode 0600`)
    t.equal((await ssh(addr, 'cat /etc/dokkaa/cluster.key')).stdout, localKey, `${addr}: the cluster's own key`)
  }

  const again = await runCli(['up', ...flags, '--scale=2'])
  t.equal(again.status, 0, 'up again at the same scale is harmless', { stderr: again.stderr })
  t.match(again.stderr, /already running/, 'what runs stays')

  // certs rotate: new pairs on the hosts, every part restarted onto them, both conductors back.
  const serialOn = async (addr: string, file: string) => (await ssh(addr, `openssl x509 -noout -serial -in /etc/dokkaa/pki/${file}`)).stdout.trim()
  const pidOn = async (addr: string, part: string) => (await ssh(addr, `cat /run/dokkaa/${part}.pid`)).stdout.trim()
  const beforeRotate = { serial: await serialOn(b, `conductor-${name}-h2.crt`), builder: await serialOn(a, 'builder.crt'), pids: [await pidOn(a, 'conductor'), await pidOn(b, 'conductor'), await pidOn(b, 'ambassador')] }
  const rotate = await runCli(['certs', 'rotate', ...flags])
  t.equal(rotate.status, 0, 'certs rotate succeeds', { stderr: rotate.stderr })
  t.match(rotate.stdout, new RegExp(`restarted: builder, ${name}-h1-ambassador, ${name}-h1-conductor, ${name}-h2-ambassador, ${name}-h2-conductor`))
  t.not(await serialOn(b, `conductor-${name}-h2.crt`), beforeRotate.serial, 'host 2 holds a new conductor certificate')
  t.not(await serialOn(a, 'builder.crt'), beforeRotate.builder, 'host 1 a new builder certificate')
  const pidsAfter = [await pidOn(a, 'conductor'), await pidOn(b, 'conductor'), await pidOn(b, 'ambassador')]
  t.same(pidsAfter.filter((p, i) => p === beforeRotate.pids[i]), [], 'conductors and ambassador are new processes')
  t.same(await hosts(), [`/hosts/${name}-h1`, `/hosts/${name}-h2`], 'both conductors registered again')
  t.ok(await waitUntil(async () => (await https.fetch(r.consoleUrl, { signal: AbortSignal.timeout(2000) }).catch(() => ({ status: 599 }))).status < 500, 60_000, 500), 'the builder answers with its new certificate')

  const up1 = await runCli(['up', ...flags, '--scale=1'])
  t.equal(up1.status, 0, 'up --scale=1 succeeds', { stderr: up1.stderr })
  t.match(up1.stdout, new RegExp(`removed: ${name}-h2`))
  const left2 = await ssh(b, 'ls -d /etc/dokkaa /run/dokkaa /var/lib/dokkaa /var/log/dokkaa /etc/systemd/system/dokkaa-* 2>/dev/null')
  t.equal(left2.stdout, '', 'host 2: files gone', { left2 })
  t.equal((await ssh(b, 'test -d /opt/dokkaa/cfg-cli && echo kept')).stdout.trim(), 'kept', 'a checkout it did not copy is left in place')
  t.ok(await waitUntil(async () => (await hosts()).length === 1, 60_000, 500), 'host 2 left the cluster')

  const down = await runCli(['down', ...flags])
  t.equal(down.status, 0, 'down succeeds', { stderr: down.stderr })
  t.match(down.stdout, new RegExp(`removed: ${name}-h1`))
  for (const [i, addr] of [[1, a], [2, b]] as const) {
    t.equal((await ssh(addr, 'ls -d /etc/dokkaa /var/lib/dokkaa /var/log/dokkaa /run/dokkaa /etc/systemd/system/dokkaa-* 2>/dev/null')).stdout, '', `host ${i}: Dokkaa's files gone`)
    const procs = (await run('ip', ['netns', 'pids', lab.hosts()[i - 1]!.netns])).stdout.split(/\s+/).filter(Boolean)
    const cmdlines = procs.map(p => { try { return readdirSync(`/proc/${p}`) && run('cat', [`/proc/${p}/cmdline`]) } catch { return undefined } })
    const dokkaa = (await Promise.all(cmdlines)).map(c => c?.stdout.replace(/\0/g, ' ') ?? '').filter(c => /dokkaa\/(dist\/)?(conductor|ambassador|builder)|\/usr\/bin\/etcd/.test(c))
    t.same(dokkaa, [], `host ${i}: no Dokkaa process or etcd left`)
  }
  t.notOk(existsSync(join(stateDir, name)), 'state removed')
  const again2 = await runCli(['down', ...flags])
  t.match(again2.stdout, /nothing to remove/)
})

installedDokkaaUntouched(t, installed)
