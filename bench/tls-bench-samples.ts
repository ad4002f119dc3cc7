// One sample of each measure of the TLS benchmark (bench/tls-bench.ts), on one cluster:
//   put → running: etcd put of a scale-1 manifest → Docker's `start` event of its
//     container; then the manifest is deleted and the sample ends when Docker has
//     destroyed the container (the next sample starts on a quiet cluster);
//   link proxy: one HTTP download (curl) of a large file from a container, through the
//     ambassador's proxy port for the service, in bytes/s.
import { execFile } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { promisify } from 'node:util'
import type Docker from 'dockerode'
import { containerName, LABELS } from '../schemas/index.js'
import { waitFor } from '../test/support/wait-for.js'
import type { Cluster } from './tls-bench-cluster.js'

export const IMAGE = process.env.DOKKAA_BENCH_IMAGE ?? 'dokkaa/busybox:test'
/** Size of the file downloaded through the link proxy. */
export const PROXY_BYTES = Number(process.env.DOKKAA_BENCH_PROXY_MB ?? 64) * 1024 * 1024
const PROXY_APP = 'proxy'
const run = promisify(execFile)

type Action = 'start' | 'destroy'

/** Docker's container start and destroy events by container name, stamped on arrival. */
export class ContainerEvents {
  private readonly at = new Map<string, number>()
  private readonly waiters = new Map<string, (ms: number) => void>()
  private constructor(private readonly stream: Readable) {
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', line => {
      const now = performance.now()
      const ev = JSON.parse(line) as { Action?: string; status?: string; Actor?: { Attributes?: Record<string, string> } }
      const key = `${ev.Action ?? ev.status} ${ev.Actor?.Attributes?.['name'] ?? ''}`
      this.at.set(key, now)
      this.waiters.get(key)?.(now)
    })
  }

  static async open(docker: Docker): Promise<ContainerEvents> {
    const stream = await docker.getEvents({ filters: { type: ['container'], event: ['start', 'destroy'] } }) as Readable
    return new ContainerEvents(stream)
  }

  /** When `action` happened to container `name` (performance.now()), not before `after`; waits up to `timeoutMs`. */
  when(action: Action, name: string, timeoutMs = 60_000, after = -Infinity): Promise<number> {
    const key = `${action} ${name}`
    const seen = this.at.get(key)
    if (seen !== undefined && seen >= after) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.waiters.delete(key); reject(new Error(`no ${action} event of ${name} within ${timeoutMs} ms`)) }, timeoutMs)
      this.waiters.set(key, ms => { clearTimeout(timer); this.waiters.delete(key); resolve(ms) })
    })
  }

  close(): void { this.stream.destroy() }
}

/** Each side's put→running apps: distinct container names on the one engine. */
export const sampleApp = (c: Cluster): string => `tls-${c.side}`

/**
 * Puts a scale-1 manifest and returns ms until its container's start event; then deletes
 * it and waits for the container's destroy. A shell that stays up and leaves on SIGTERM,
 * with a published service (the scheduler allocates it a port, the ambassador a listener).
 */
export async function putToRunning(c: Cluster, events: ContainerEvents, name: string): Promise<number> {
  const ref = { app: sampleApp(c), name }
  const manifest = {
    image: IMAGE, scale: 1, services: { http: 80 }, stopGracePeriod: '1s',
    command: 'httpd -p 80 -h /www; trap "exit 0" TERM; while :; do sleep 1 & wait; done',
  }
  const container = containerName({ ...ref, index: 0 })
  const t0 = performance.now()
  await c.writer.put(c.keys.manifest(ref)).value(JSON.stringify(manifest)).exec()
  const started = await events.when('start', container)
  await c.writer.delete().key(c.keys.manifest(ref)).exec()
  await events.when('destroy', container)
  return started - t0
}

/** Deletes every put→running manifest of this side and waits for their containers to go (after a failed round). */
export async function dropSampleApps(c: Cluster, docker: Docker): Promise<void> {
  await c.writer.delete().prefix(`${c.keys.apps}${sampleApp(c)}/`).exec()
  const labels = [`${LABELS.host}=${c.hostId}`, `${LABELS.app}=${sampleApp(c)}`]
  await waitFor(async () => (await docker.listContainers({ all: true, filters: { label: labels } })).length === 0,
    { timeoutMs: 60_000, what: `the ${c.side} side's sample containers gone` })
}

/**
 * GET of `path` on 127.0.0.1:port by curl (a client of its own process, several times
 * faster than this process's http.get: the proxy, not the client, is what is measured).
 */
async function download(port: number, path: string): Promise<{ bytes: number; ms: number }> {
  const { stdout } = await run('curl', ['-sS', '-o', '/dev/null', '--max-time', '60', '-w', '%{http_code} %{size_download} %{time_total}', `http://127.0.0.1:${port}${path}`])
  const [code, size, seconds] = stdout.trim().split(' ')
  if (code !== '200') throw new Error(`GET :${port}${path} answered ${code}`)
  return { bytes: Number(size), ms: Number(seconds) * 1000 }
}

const proxyRef = (c: Cluster) => ({ app: `${PROXY_APP}-${c.side}`, name: 'files' })

/** Deletes the file server's manifest and waits for Docker to destroy its container. */
export async function removeProxyApp(c: Cluster, events: ContainerEvents): Promise<void> {
  const t0 = performance.now()
  await c.writer.delete().key(c.keys.manifest(proxyRef(c))).exec()
  await events.when('destroy', containerName({ ...proxyRef(c), index: 0 }), 60_000, t0)
}

/** The container that serves the big file: its service's proxy port once it serves it whole. */
export async function deployProxyApp(c: Cluster): Promise<number> {
  const ref = proxyRef(c)
  await c.writer.put(c.keys.manifest(ref)).value(JSON.stringify({
    image: IMAGE, scale: 1, services: { http: 80 }, stopGracePeriod: '1s',
    command: `head -c ${PROXY_BYTES} /dev/zero > /www/big && exec httpd -f -p 80 -h /www`,
  })).exec()
  let last = ''
  return waitFor(async () => {
    const port = Number(await c.reader.get(c.keys.port(ref.app, 'http')).string())
    if (!port) return (last = 'no port allocated yet', 0)
    const got = await download(port, '/big').catch((err: Error) => ({ bytes: -1, ms: 0, err: err.message }))
    last = 'err' in got ? got.err : `${got.bytes} bytes`
    return got.bytes === PROXY_BYTES && port
  }, { timeoutMs: 90_000, intervalMs: 250, what: `the ${c.side} ambassador proxying the file (${PROXY_BYTES} bytes)` })
    .catch((err: Error) => { throw new Error(`${err.message}; last: ${last}`, { cause: err }) })
}

/** Bytes/s of one download of the big file through the proxy port. */
export async function proxyThroughput(port: number): Promise<number> {
  const got = await download(port, '/big')
  if (got.bytes !== PROXY_BYTES) throw new Error(`through :${port} came ${got.bytes} of ${PROXY_BYTES} bytes`)
  return got.bytes / (got.ms / 1000)
}
