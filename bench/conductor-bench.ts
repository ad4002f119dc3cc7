// Conductor benchmark (issue 2): how fast a manifest becomes containers, beside the
// floors that matter — raw dockerode create+start of the same image, and Docker Swarm
// mode on the same engine — all measured in the same run, reported as ratios.
//
//   npm run bench:conductor      (needs dockerd, etcd, and the test image; see README)
import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import Docker from 'dockerode'
import { Etcd3 } from 'etcd3'
import { KeyLayout, LABELS } from '../schemas/index.js'
import { ms, percentile, printTable, ratio } from './stats.js'

const run = promisify(execFile)
const IMAGE = process.env.DOKKAA_BENCH_IMAGE ?? 'dokkaa/busybox:test'
const RUNS = Number(process.env.DOKKAA_BENCH_RUNS ?? 30)
const SCALE = Number(process.env.DOKKAA_BENCH_SCALE ?? 50)
const ETCD = process.env.DOKKAA_ETCD ?? 'http://127.0.0.1:23790'
const docker = new Docker()
const etcd = new Etcd3({ hosts: ETCD })
const id = randomBytes(3).toString('hex')
const keys = new KeyLayout(`/bench-${id}`)
const hostId = `bench-${id}`
const benchLabel = `io.dokkaa.bench=${id}`

/** Resolves when Docker reports a `start` event for a container matching `match`. */
class StartWatcher {
  private waiters = new Map<string, (at: number) => void>()
  private started = new Map<string, number>()
  private stream?: NodeJS.ReadableStream
  async open(): Promise<void> {
    this.stream = await docker.getEvents({ filters: { type: ['container'], event: ['start'] } }) as NodeJS.ReadableStream
    let buf = ''
    this.stream.on('data', (chunk: Buffer) => {
      const at = performance.now()
      buf += chunk.toString()
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        const ev = JSON.parse(buf.slice(0, nl)) as { Actor: { Attributes: Record<string, string> } }
        buf = buf.slice(nl + 1)
        const name = ev.Actor.Attributes['name'] ?? ''
        this.started.set(name, at)
        this.waiters.get(name)?.(at)
      }
    })
  }
  waitFor(name: string, timeoutMs = 60_000): Promise<number> {
    const seen = this.started.get(name)
    if (seen !== undefined) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs} ms`)), timeoutMs)
      this.waiters.set(name, at => { clearTimeout(timer); this.waiters.delete(name); resolve(at) })
    })
  }
  close(): void { (this.stream as unknown as { destroy?: () => void })?.destroy?.() }
}

async function removeBenchContainers(): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [benchLabel] } })
  const own = await docker.listContainers({ all: true, filters: { label: [`${LABELS.host}=${hostId}`] } })
  await Promise.all([...list, ...own].map(c => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)))
}

async function rawCreateStart(name: string): Promise<number> {
  const t0 = performance.now()
  const c = await docker.createContainer({ Image: IMAGE, name, Labels: { 'io.dokkaa.bench': id }, HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } }, ExposedPorts: { '80/tcp': {} } })
  await c.start()
  return performance.now() - t0
}

function startConductor(): ChildProcess {
  const child = spawn(process.execPath, ['dist/conductor/main.js', '--etcd', ETCD, '--prefix', keys.prefix,
    '--host-id', hostId, '--host-address', '127.0.0.1', '--ambassador-address', 'none', '--log-level', 'warn'],
  { stdio: ['ignore', 'ignore', 'inherit'] })
  return child
}

async function waitForHost(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await etcd.get(keys.host(hostId)).string()) return
    await new Promise(r => setTimeout(r, 50))
  }
  throw new Error('conductor did not register its host within 10 s')
}

function rssMb(pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/)
  return m ? Number(m[1]) / 1024 : NaN
}

async function countRunning(label: string): Promise<number> {
  return (await docker.listContainers({ filters: { label: [label], status: ['running'] } })).length
}

async function waitRunning(label: string, n: number, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while ((await countRunning(label)) < n) {
    if (Date.now() > deadline) throw new Error(`${label}: fewer than ${n} running after ${timeoutMs} ms`)
    await new Promise(r => setTimeout(r, 20))
  }
}

async function swarmScale(): Promise<number> {
  const { stdout } = await run('docker', ['info', '--format', '{{.Swarm.LocalNodeState}}'])
  const wasActive = stdout.trim() === 'active'
  if (!wasActive) await run('docker', ['swarm', 'init', '--advertise-addr', '127.0.0.1', '--listen-addr', '127.0.0.1:2377'])
  const name = `dokkaa-bench-${id}`
  try {
    const t0 = performance.now()
    await run('docker', ['service', 'create', '--detach', '--no-resolve-image', '--name', name, '--replicas', String(SCALE), IMAGE])
    await waitRunning(`com.docker.swarm.service.name=${name}`, SCALE)
    return performance.now() - t0
  } finally {
    await run('docker', ['service', 'rm', name]).catch(() => undefined)
    if (!wasActive) await run('docker', ['swarm', 'leave', '--force']).catch(() => undefined)
    const left = await docker.listContainers({ all: true, filters: { label: [`com.docker.swarm.service.name=${name}`] } })
    await Promise.all(left.map(c => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)))
  }
}

async function main(): Promise<void> {
  process.env.DOCKER_API_VERSION ??= '1.41'
  await docker.getImage(IMAGE).inspect().catch(() => { throw new Error(`image ${IMAGE} is missing: run test/bed/make-images.sh`) })
  const watcher = new StartWatcher()
  await watcher.open()
  const conductor = startConductor()
  try {
    await waitForHost()
    // Warm up both paths once so neither pays first-use costs in the samples.
    await rawCreateStart(`bench-${id}-warm`)
    await removeBenchContainers()

    const raw: number[] = []
    const dokkaa: number[] = []
    for (let i = 0; i < RUNS; i++) {
      // Both paths are timed to the same moment: Docker's `start` event for the container.
      const name = `bench-${id}-raw-${i}`
      const r0 = performance.now()
      await rawCreateStart(name)
      raw.push(await watcher.waitFor(name) - r0)
      const ref = { app: `b${id}`, name: `n${i}` }
      const t0 = performance.now()
      await etcd.put(keys.manifest(ref)).value(JSON.stringify({ image: IMAGE, scale: 1, services: { http: 80 } }))
      const at = await watcher.waitFor(`${ref.app}---${ref.name}`)
      dokkaa.push(at - t0)
      await etcd.delete().key(keys.manifest(ref))
    }
    await etcd.delete().prefix(keys.apps)
    await removeBenchContainers()
    await new Promise(r => setTimeout(r, 2000))

    // 0 → SCALE: parallel dockerode floor, then Dokkaa, then Swarm mode.
    let t0 = performance.now()
    await Promise.all(Array.from({ length: SCALE }, (_, i) => rawCreateStart(`bench-${id}-par-${i}`)))
    const parallel = performance.now() - t0
    await removeBenchContainers()

    t0 = performance.now()
    await etcd.put(keys.manifest({ app: `s${id}`, name: 'web' })).value(JSON.stringify({ image: IMAGE, scale: SCALE, services: { http: 80 } }))
    await waitRunning(`${LABELS.host}=${hostId}`, SCALE)
    const dokkaaScale = performance.now() - t0
    await new Promise(r => setTimeout(r, 3000)) // settle: RSS with SCALE containers under watch
    const rss = rssMb(conductor.pid!)
    await etcd.delete().prefix(keys.apps)
    await waitRunning(`${LABELS.host}=${hostId}`, 0).catch(() => undefined)
    await removeBenchContainers()

    const swarm = await swarmScale()

    printTable(`manifest put → container running (${RUNS} runs, image ${IMAGE})`, ['path', 'p50', 'p99', 'ratio p50 to raw'], [
      ['raw dockerode create+start (→ start event)', ms(percentile(raw, 50)), ms(percentile(raw, 99)), '1.00×'],
      ['dokkaa (etcd put → docker start event)', ms(percentile(dokkaa, 50)), ms(percentile(dokkaa, 99)), ratio(percentile(dokkaa, 50), percentile(raw, 50))],
    ])
    printTable(`scale 0 → ${SCALE}, until all are running`, ['path', 'time', 'ratio to parallel dockerode'], [
      [`${SCALE} parallel dockerode create+start`, ms(parallel), '1.00×'],
      ['dokkaa', ms(dokkaaScale), ratio(dokkaaScale, parallel)],
      [`docker service create --replicas ${SCALE} (Swarm mode)`, ms(swarm), ratio(swarm, parallel)],
    ])
    printTable('conductor memory', ['measure', 'value'], [[`RSS with ${SCALE} containers`, `${rss.toFixed(1)} MB`]])
  } finally {
    conductor.kill('SIGTERM')
    watcher.close()
    await etcd.delete().prefix(keys.prefix + '/')
    await removeBenchContainers()
    etcd.close()
  }
}

main().catch(err => { console.error(`bench failed: ${(err as Error).message}`); process.exitCode = 1 })
