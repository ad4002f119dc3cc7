// Helpers for tests that build labs: a fresh name and an unused subnet per run, so
// concurrent runs (and a real `dokkaacfg up`) never collide; timeouts that leave a
// failed lab time to tear down; and the check that a Dokkaa installed on this machine
// (deploy/install.sh) is left alone by every lab test.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Etcd3 } from 'etcd3'
import type { Test } from 'tap'
import { KeyLayout } from '../schemas/index.js'
import { runCli, type CliResult } from './cli-test-support.js'
import type { LocalState } from './local-provider.js'
import { NetnsLab } from './netns-lab.js'
import { run } from './run-command.js'
import { overlaps } from './lab-plan.js'
import { cmdline } from './processes.js'

export function randomLabName(prefix = 'dkt'): string {
  return prefix + randomBytes(3).toString('hex')
}

/** Where lab tests put runtime files (sockets, exec roots): `/run/dokkaa-test/<name>`.
 * Never /run/dokkaa, which is an installed Dokkaa's (its pid files). */
export function testRunDir(name: string): string {
  return `/run/dokkaa-test/${name}`
}

/** A /24 under 10.213.0.0/16 (third octet 100..249) that no route on this machine covers. */
export async function freeSubnet(): Promise<string> {
  const routes = (await run('ip', ['-4', 'route', 'show', 'table', 'all'])).stdout.split('\n')
    .map(l => l.match(/(\d+\.\d+\.\d+\.\d+(?:\/\d+)?)/)?.[1] ?? '')
  for (let tries = 0; tries < 200; tries++) {
    const cidr = `10.213.${100 + Math.floor(Math.random() * 150)}.0/24`
    if (!overlaps(cidr, routes.filter(Boolean))) return cidr
  }
  throw new Error('no free /24 in 10.213.100.0-10.213.249.0')
}

export function canRunLabs(): string | false {
  if (process.getuid?.() !== 0) return 'needs root'
  return false
}

/** Time a lab's teardown may take after its test timed out: stopping dockerds (with
 * their containers), `dokkaacfg down`, namespaces, mounts. */
export const TEARDOWN_MS = 120_000

/** Sets this test file's own timeout to the sum of its tests' timeouts plus TEARDOWN_MS.
 * tap kills a file that outlives its timeout (package.json "timeout": 300 s) outright,
 * so no teardown runs and the lab's dockerds, etcd, sshd, namespaces, bridge and rule
 * stay behind. A test that times out, by contrast, is ended and its teardowns run:
 * each lab test's own timeout must end well before the file's. */
export function allowLabTeardown(t: Pick<Test, 'setTimeout'>, ...testTimeoutsMs: number[]): void {
  t.setTimeout(testTimeoutsMs.reduce((a, b) => a + b, 0) + TEARDOWN_MS)
}

/** The run dir of the Dokkaa deploy/install.sh starts on this machine. */
export const INSTALLED_RUN_DIR = '/run/dokkaa'
const INSTALLED_PARTS = ['conductor', 'ambassador', 'builder'] as const

function live(pid: number): boolean {
  try { return !/^State:\s+[ZX]/m.test(readFileSync(`/proc/${pid}/status`, 'utf8')) } catch { return false }
}

/** The installed Dokkaa's processes: part -> "<pid> <command line>" for each live
 * process named by /run/dokkaa/<part>.pid (the command line, so a reused pid counts as changed). */
export function installedDokkaa(): Record<string, string> {
  const found: Record<string, string> = {}
  for (const part of INSTALLED_PARTS) {
    let pid: number
    try { pid = Number(readFileSync(`${INSTALLED_RUN_DIR}/${part}.pid`, 'utf8').trim()) } catch { continue }
    const cl = pid > 0 && live(pid) ? cmdline(pid) : undefined
    if (cl) found[part] = `${pid} ${cl.trim()}`
  }
  return found
}

/**
 * Adds, as a file's last test, the check that the installed Dokkaa still runs with the
 * processes it had when the file started (`before`: installedDokkaa() taken at load,
 * before any lab exists). Without an installed Dokkaa there is nothing to check: under
 * CI (which runs deploy/install.sh before the suite) that is a failure, elsewhere a skip.
 */
export function installedDokkaaUntouched(t: Pick<Test, 'test'>, before: Record<string, string>): void {
  const absent = before.conductor ? false : `no installed Dokkaa is running (${INSTALLED_RUN_DIR}/conductor.pid names no live process)`
  const skip = canRunLabs() || (absent && !process.env.CI ? `${absent}; run bash deploy/install.sh to check that lab tests leave it alone` : false)
  void t.test('the installed Dokkaa (deploy/install.sh) still runs with the same pids', { skip }, async t => {
    if (absent) {
      t.fail(`${absent}. CI runs deploy/install.sh before the tests, so it should be: see its step in .ci/run`)
      return
    }
    t.same(installedDokkaa(), before, `${Object.keys(before).join(', ')}: same pids as before this file's labs`)
  })
}

/** What `dokkaacfg --json up` prints (provider.ts UpResult), as far as the tests read it. */
export interface LabUpResult {
  hosts: { id: string; address: string }[]
  added: string[]
  etcdEndpoints: string[]
  etcdTls?: { ca: string; cert: string; key: string }
  consoleUrl: string
  /** The cluster CA (the https console's). */
  caFile?: string
  rootPasswordFile: string
}

/** An etcd client on the cluster `up` made, as its admin (the certificate `up` reported). */
export function labEtcdClient(up: Pick<LabUpResult, 'etcdEndpoints' | 'etcdTls'>): Etcd3 {
  const tls = up.etcdTls
  return new Etcd3({
    hosts: up.etcdEndpoints,
    ...(tls ? { credentials: { rootCertificate: readFileSync(tls.ca), certChain: readFileSync(tls.cert), privateKey: readFileSync(tls.key) } } : {}),
  })
}

/** A lab cluster made by the real `dokkaacfg up --scale=N` (local provider), and what a test
 * reaches it with. Its state, etcd data, logs and credentials sit in a temp dir of the
 * test's, its sockets in the tests' run dir; `t`'s teardown runs `dokkaacfg down` (set up
 * before `up`, so whatever `up` recorded goes even when it fails) and removes the dir. */
export interface LabCluster {
  name: string
  subnet: string
  stateDir: string
  runDir: string
  prefix: string
  /** --name, --state-dir, --run-dir: what every later `dokkaacfg` call on it needs. */
  flags: string[]
  cli(args: string[]): Promise<CliResult>
  up: LabUpResult
  lab: NetnsLab
  hostIndex(id: string): number
  keys: KeyLayout
  etcd: Etcd3
}

export async function upLabCluster(t: Test, opts: { namePrefix: string; scale: number; image: string }): Promise<LabCluster> {
  const name = randomLabName(opts.namePrefix)
  const subnet = await freeSubnet()
  const stateDir = mkdtempSync(join(tmpdir(), 'dokkaa-cfg-'))
  const runDir = testRunDir(name)
  const prefix = `/t-${name}`
  const env = { ...process.env, DOKKAA_CONFIG: join(stateDir, 'credentials.json') }
  const cli = (args: string[]) => runCli(args, env)
  const flags = ['--name', name, '--state-dir', stateDir, '--run-dir', runDir]
  t.teardown(async () => {
    const d = await cli(['down', ...flags])
    if (d.status !== 0) t.comment(`down at teardown failed: ${d.stderr}`)
    rmSync(stateDir, { recursive: true, force: true })
  })
  const up = await cli(['--json', 'up', `--scale=${opts.scale}`, '--subnet', subnet, '--prefix', prefix, '--image', opts.image, ...flags])
  if (!t.equal(up.status, 0, `up --scale=${opts.scale} succeeds`, { stderr: up.stderr })) throw new Error(`dokkaacfg up failed: ${up.stderr}`)
  const state = JSON.parse(readFileSync(join(stateDir, name, 'state.json'), 'utf8')) as LocalState
  const lab = NetnsLab.fromState(state.lab)
  const result = JSON.parse(up.stdout) as LabUpResult
  const etcd = labEtcdClient(result)
  t.teardown(() => etcd.close())
  return {
    name, subnet, stateDir, runDir, prefix, flags, cli, up: result, lab,
    hostIndex: id => lab.hosts().find(h => h.id === id)!.index,
    keys: new KeyLayout(prefix), etcd,
  }
}
