// Dokkaa's side of the cluster benchmark: `dokkaacfg up --scale=3` as a user runs it
// (wall time), a workload of REPLICAS busybox httpd instances put into the cluster's
// etcd, then one host crashed (crashNetnsHost: cable and power at once) and the time
// until the surviving engines run all replicas again. The crashed host is one that
// does not hold the scheduler election — the same role as a Swarm worker.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Etcd3 } from 'etcd3'
import { KeyLayout } from '../schemas/index.js'
import { NetnsLab } from '../cfg-cli/netns-lab.js'
import { crashNetnsHost } from '../cfg-cli/host-crash.js'
import { freeSubnet, randomLabName } from '../cfg-cli/lab-test-support.js'
import { packageRoot } from '../cfg-cli/local-agents.js'
import type { LocalState } from '../cfg-cli/local-provider.js'
import { runningPerEngine, waitForRunning } from './cluster-bench-poll.js'

export interface FailoverSample {
  /** Wall time of the cluster coming up (ms). */
  upMs: number
  /** Crash → all replicas running on the surviving engines (ms). */
  failoverMs: number
  /** Which host died and how many replicas it had. */
  victim: string
  moved: number
  /** Dokkaa only: then the scheduler's own host crashes too → all replicas on the last host (ms). */
  leaderFailoverMs?: number
}

/** dokkaacfg as a user runs it: the built file if there is one, else the source through tsx. */
function cliArgv(): string[] {
  const js = join(packageRoot(), 'dist', 'cfg-cli', 'main.js')
  return existsSync(js) ? [process.execPath, js] : [process.execPath, '--import', 'tsx', join(packageRoot(), 'cfg-cli', 'main.ts')]
}

function dokkaacfg(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const [cmd, ...pre] = cliArgv()
  return new Promise(resolve => {
    const child = spawn(cmd!, [...pre, ...args], { cwd: packageRoot(), stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', d => { stdout += d })
    child.stderr.on('data', d => { stderr += d })
    child.on('close', status => resolve({ status, stdout, stderr }))
  })
}

export async function dokkaaFailover(image: string, replicas: number): Promise<FailoverSample> {
  const name = randomLabName('dkb')
  const stateDir = mkdtempSync(join(tmpdir(), 'dokkaa-bench-'))
  const flags = ['--name', name, '--state-dir', stateDir]
  try {
    const t0 = performance.now()
    const up = await dokkaacfg(['--json', 'up', '--scale=3', '--subnet', await freeSubnet(), '--image', image, ...flags])
    const upMs = performance.now() - t0
    if (up.status !== 0) throw new Error(`dokkaacfg up failed: ${up.stderr.trim().split('\n').slice(-3).join(' / ')}`)
    const cluster = JSON.parse(up.stdout) as { etcdEndpoints: string[]; prefix: string }
    const state = JSON.parse(readFileSync(join(stateDir, name, 'state.json'), 'utf8')) as LocalState
    const lab = NetnsLab.fromState(state.lab)
    const keys = new KeyLayout(cluster.prefix)
    const etcd = new Etcd3({ hosts: cluster.etcdEndpoints })
    try {
      const label = 'io.dokkaa.app=bench'
      await etcd.put(keys.manifest({ app: 'bench', name: 'web' })).value(JSON.stringify({ image, scale: replicas, services: { web: 80 } }))
      const all = lab.hosts().map(h => lab.docker(h.index))
      await waitForRunning(all, label, replicas, 120_000)
      // The election's oldest key is the leader's; its value is the host id.
      const leaderOf = async () => Object.values(await etcd.getAll().prefix(`${keys.schedulerElection}/`).sort('Create', 'Ascend').limit(1).strings())[0]
      const leaderId = await leaderOf()
      const counts = await runningPerEngine(all, label)
      const candidates = lab.hosts().map((h, k) => ({ h, n: counts[k]! })).filter(c => c.h.id !== leaderId && c.n > 0)
      const victim = candidates.sort((a, b) => b.h.index - a.h.index)[0]
      if (!victim) throw new Error(`no host without the scheduler runs a replica (leader ${leaderId}, counts ${counts.join(',')})`)
      const survivors = lab.hosts().filter(h => h.index !== victim.h.index).map(h => lab.docker(h.index))
      const killedAt = await crashNetnsHost(lab.host(victim.h.index))
      const healedAt = await waitForRunning(survivors, label, replicas, 120_000)
      // The worst case: the host that schedules dies; another must win the election first.
      const leader = lab.hosts().find(h => h.id === leaderId && h.index !== victim.h.index)
      let leaderFailoverMs: number | undefined
      if (leader && (await leaderOf()) === leader.id) {
        const last = lab.hosts().filter(h => h.index !== victim.h.index && h.index !== leader.index).map(h => lab.docker(h.index))
        const leaderKilledAt = await crashNetnsHost(lab.host(leader.index))
        leaderFailoverMs = (await waitForRunning(last, label, replicas, 120_000)) - leaderKilledAt
      }
      return { upMs, failoverMs: healedAt - killedAt, victim: victim.h.id, moved: victim.n, leaderFailoverMs }
    } finally {
      etcd.close()
    }
  } finally {
    const down = await dokkaacfg(['down', ...flags])
    if (down.status !== 0) console.error(`dokkaacfg down failed: ${down.stderr}`)
    rmSync(stateDir, { recursive: true, force: true })
  }
}
