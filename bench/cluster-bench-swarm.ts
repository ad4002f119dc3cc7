// Docker Swarm mode's side of the cluster benchmark, on the same kind of namespace hosts
// (cfg-cli's NetnsLab): host 1 inits the swarm on its namespace address, hosts 2 and 3
// join as workers, `docker service create --replicas N` runs the same image (loaded into
// every engine; --no-resolve-image), then a worker is crashed the same way as Dokkaa's
// host and the surviving engines are polled the same way. Swarm keeps its defaults
// (dispatcher heartbeat 5 s): that is the comparison.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NetnsLab } from '../cfg-cli/netns-lab.js'
import { crashNetnsHost } from '../cfg-cli/host-crash.js'
import { freeSubnet, randomLabName } from '../cfg-cli/lab-test-support.js'
import { run } from '../cfg-cli/run-command.js'
import { runningPerEngine, waitForRunning } from './cluster-bench-poll.js'
import type { FailoverSample } from './cluster-bench-dokkaa.js'

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

export async function swarmFailover(image: string, replicas: number): Promise<FailoverSample> {
  const name = randomLabName('dkw')
  const dataDir = mkdtempSync(join(tmpdir(), 'dokkaa-swarm-'))
  const lab = await NetnsLab.create({ name, subnet: await freeSubnet(), dataDir, runDir: `/run/dokkaa-cfg/${name}` })
  try {
    const t0 = performance.now()
    for (const i of [1, 2, 3]) await lab.addHost(i)
    await lab.copyImage(image)
    const docker = (i: number, args: string[]) => run('docker', ['-H', lab.host(i).dockerd.host, ...args], { env: { ...process.env, DOCKER_API_VERSION: '1.41' } })
    const manager = lab.host(1).address
    await docker(1, ['swarm', 'init', '--advertise-addr', manager, '--listen-addr', `${manager}:2377`])
    const token = (await docker(1, ['swarm', 'join-token', '-q', 'worker'])).stdout.trim()
    for (const i of [2, 3]) {
      const a = lab.host(i).address
      await docker(i, ['swarm', 'join', '--token', token, '--advertise-addr', a, '--listen-addr', `${a}:2377`, `${manager}:2377`])
    }
    for (let ready = 0; ready < 3; await sleep(100)) {
      ready = (await docker(1, ['node', 'ls', '--format', '{{.Status}}'])).stdout.split('\n').filter(s => s === 'Ready').length
    }
    const upMs = performance.now() - t0

    const label = 'com.docker.swarm.service.name=web'
    await docker(1, ['service', 'create', '--detach', '--no-resolve-image', '--name', 'web', '--replicas', String(replicas), image])
    const all = [1, 2, 3].map(i => lab.docker(i))
    await waitForRunning(all, label, replicas, 120_000)
    const counts = await runningPerEngine(all, label)
    // A worker with replicas, the highest first (host 1 is the only manager).
    const victim = [3, 2].find(i => counts[i - 1]! > 0)
    if (!victim) throw new Error(`no worker runs a replica (counts ${counts.join(',')})`)
    const survivors = [1, 2, 3].filter(i => i !== victim).map(i => lab.docker(i))
    const killedAt = await crashNetnsHost(lab.host(victim))
    const healedAt = await waitForRunning(survivors, label, replicas, 180_000)
    return { upMs, failoverMs: healedAt - killedAt, victim: lab.host(victim).id, moved: counts[victim - 1]! }
  } finally {
    await lab.destroy()
    rmSync(dataDir, { recursive: true, force: true })
  }
}
