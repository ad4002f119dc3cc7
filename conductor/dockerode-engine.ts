// DockerEngine over dockerode: the only file that talks to the Docker API. Every
// error leaves through fromDockerError, so callers see the conductor's catalogue.
// Image references are checked against Docker's grammar before any request that carries
// one: dockerode puts the name into the request path ("/images/<name>/json"), so a name
// like "../../x" would address another endpoint of the engine, and a name the engine
// reads as a registry host makes it connect wherever that says.
import { PassThrough, type Readable } from 'node:stream'
import Docker from 'dockerode'
import { parseImageReference } from '../schemas/index.js'
import type { ContainerState } from './model.js'
import type {
  ContainerCreate, ContainerDetail, DockerEngine, DockerHealth, EngineEvent, EngineInfo, EventSubscription, ImageFacts, LogsOptions, PullProgressEvent, RegistryAuth,
} from './docker-engine.js'
import { demuxBuffer } from './docker-log-frames.js'
import { fromDockerError, ImagePullError, InvalidImageError, isCode } from './errors.js'
import { JsonLineSplitter } from './json-lines.js'
import { disableModemRedirects } from './modem-no-redirects.js'
import { followPull } from './pull-stream.js'
import { dockerCreateOptions } from './dockerode-create.js'

disableModemRedirects()

/** "unix:///var/run/docker.sock", "tcp://host:2375" or a bare socket path. */
export function dockerodeOptions(url: string): Docker.DockerOptions {
  if (url.startsWith('unix://')) return { socketPath: url.slice('unix://'.length) }
  if (url.startsWith('/')) return { socketPath: url }
  const u = new URL(url.replace(/^tcp:/, 'http:'))
  return { host: u.hostname, port: Number(u.port || 2375), protocol: 'http' }
}

const labelFilters = (labels: Record<string, string>) => Object.entries(labels).map(([k, v]) => `${k}=${v}`)

/** Throws INVALID_IMAGE for a reference outside Docker's grammar. */
export function checkImage(image: unknown): string {
  if (typeof image !== 'string') throw new InvalidImageError(String(image), `image must be a string, got ${typeof image}`)
  const parsed = parseImageReference(image)
  if (!parsed.ok) throw new InvalidImageError(image, parsed.message)
  return image
}

/** State.Health as Dokkaa reads it; undefined before the first start, or without a check. */
export function dockerHealthOf(h: Docker.ContainerInspectInfo['State']['Health']): DockerHealth | undefined {
  const status = h?.Status
  if (status !== 'starting' && status !== 'healthy' && status !== 'unhealthy') return undefined
  const failed = [...h!.Log ?? []].reverse().find(l => l.ExitCode !== 0)
  const out = failed?.Output?.trim()
  return { status, ...(status !== 'healthy' && out ? { lastError: out.slice(0, 200) } : {}) }
}

function ms(iso: string | undefined): number | undefined {
  if (!iso || iso.startsWith('0001-')) return undefined
  const t = Date.parse(iso)
  return Number.isNaN(t) ? undefined : t
}

export class DockerodeEngine implements DockerEngine {
  private readonly docker: Docker

  constructor(url: string) {
    this.docker = new Docker(dockerodeOptions(url))
  }

  private async call<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      throw fromDockerError(err, doing)
    }
  }

  async listContainers(labels: Record<string, string>) {
    const list = await this.call('list containers', () => this.docker.listContainers({ all: true, filters: { label: labelFilters(labels) } }))
    return list.map(c => ({ id: c.Id, name: (c.Names[0] ?? '').replace(/^\//, ''), labels: c.Labels ?? {} }))
  }

  async listVolumes(labels: Record<string, string>): Promise<string[]> {
    const res = await this.call('list volumes', () => this.docker.listVolumes({ filters: { label: labelFilters(labels) } }))
    return (res.Volumes ?? []).map(v => v.Name)
  }

  async removeVolume(name: string): Promise<void> {
    // Never forced: Docker then refuses while a container uses the volume.
    await this.call(`remove volume ${name}`, () => this.docker.getVolume(name).remove())
  }

  async inspect(idOrName: string): Promise<ContainerDetail | undefined> {
    let info: Docker.ContainerInspectInfo
    try {
      info = await this.call(`inspect container ${idOrName}`, () => this.docker.getContainer(idOrName).inspect())
    } catch (err) {
      if (isCode(err, 'DKA_CONDUCTOR_DOCKER_NOT_FOUND')) return undefined
      throw err
    }
    const hostPorts: Record<string, number> = {}
    for (const [key, binds] of Object.entries(info.NetworkSettings.Ports ?? {})) {
      const port = Number(binds?.[0]?.HostPort)
      if (port) hostPorts[key] = port
    }
    const network = Object.values(info.NetworkSettings.Networks ?? {}).find(n => n.IPAddress)
    const state = info.State
    const test = info.Config.Healthcheck?.Test
    const dockerHealth = dockerHealthOf(state.Health)
    return {
      id: info.Id,
      name: info.Name.replace(/^\//, ''),
      labels: info.Config.Labels ?? {},
      state: state.Status as ContainerState,
      createdAt: ms(info.Created) ?? 0,
      exitCode: state.Running ? undefined : state.ExitCode,
      startedAt: ms(state.StartedAt),
      finishedAt: ms(state.FinishedAt),
      address: network?.IPAddress || undefined,
      hostPorts,
      networkMode: info.HostConfig.NetworkMode ?? 'bridge',
      ...(test && test.length > 0 && test[0] !== 'NONE' ? { healthcheck: true } : {}),
      ...(dockerHealth ? { dockerHealth } : {}),
      ...(typeof info.Image === 'string' ? { imageId: info.Image } : {}),
      ...(typeof info.Config.Image === 'string' ? { imageRef: info.Config.Image } : {}),
    }
  }

  async create(c: ContainerCreate): Promise<string> {
    checkImage(c.image)
    const created = await this.call(`create container ${c.name}`, () => this.docker.createContainer(dockerCreateOptions(c)))
    return created.id
  }

  // Start, stop, pause... of a container already in that state answer 304/409: done either way.
  private async idempotent(doing: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await this.call(doing, fn)
    } catch (err) {
      // Docker answers these with 304, 409 or even 500 depending on the verb and version.
      const status = ((err as Error).cause as { statusCode?: number } | undefined)?.statusCode
      if (status === 304 || /already paused|is not paused|is not running/i.test((err as Error).message)) return
      throw err
    }
  }

  start(id: string) { return this.idempotent(`start ${id}`, () => this.docker.getContainer(id).start()) }
  stop(id: string, timeoutSec?: number) { return this.idempotent(`stop ${id}`, () => this.docker.getContainer(id).stop(timeoutSec === undefined ? {} : { t: timeoutSec })) }
  kill(id: string) { return this.idempotent(`kill ${id}`, () => this.docker.getContainer(id).kill()) }
  restart(id: string, timeoutSec?: number) { return this.idempotent(`restart ${id}`, () => this.docker.getContainer(id).restart(timeoutSec === undefined ? {} : { t: timeoutSec })) }
  async rename(id: string, name: string) { await this.call(`rename ${id} to ${name}`, () => this.docker.getContainer(id).rename({ name })) }
  pause(id: string) { return this.idempotent(`pause ${id}`, () => this.docker.getContainer(id).pause()) }
  unpause(id: string) { return this.idempotent(`unpause ${id}`, () => this.docker.getContainer(id).unpause()) }

  async remove(id: string): Promise<void> {
    try {
      await this.call(`remove ${id}`, () => this.docker.getContainer(id).remove({ force: true }))
    } catch (err) {
      // Gone already, or Docker is already removing it: both mean it will not be there.
      if (isCode(err, 'DKA_CONDUCTOR_DOCKER_NOT_FOUND')) return
      if (isCode(err, 'DKA_CONDUCTOR_DOCKER_CONFLICT') && /already in progress/i.test((err as Error).message)) return
      throw err
    }
  }

  async imageExists(ref: string): Promise<boolean> {
    return (await this.inspectImage(ref)) !== undefined
  }

  async inspectImage(ref: string): Promise<ImageFacts | undefined> {
    // An image id is no reference, but inspect takes it as well.
    if (!/^sha256:[0-9a-f]{64}$/.test(ref)) checkImage(ref)
    try {
      const info = await this.call(`inspect image ${ref}`, () => this.docker.getImage(ref).inspect()) as { Id: string; RepoDigests?: unknown }
      const repoDigests = Array.isArray(info.RepoDigests) ? info.RepoDigests.filter((d): d is string => typeof d === 'string') : []
      return { id: info.Id, repoDigests }
    } catch (err) {
      if (isCode(err, 'DKA_CONDUCTOR_DOCKER_NOT_FOUND')) return undefined
      throw err
    }
  }

  async pull(ref: string, onProgress: (e: PullProgressEvent) => void, auth?: RegistryAuth): Promise<void> {
    checkImage(ref)
    try {
      const stream = await this.docker.pull(ref, auth ? { authconfig: auth } : {}) as NodeJS.ReadableStream
      // Our own follower, not modem.followProgress: that one parses lines inside the
      // stream's 'data' handler, where a junk line throws past every catch.
      await followPull(stream, event => {
        if (typeof event.status !== 'string') return
        const d = event.progressDetail
        onProgress({
          status: event.status,
          ...(typeof event.id === 'string' ? { id: event.id } : {}),
          ...(typeof d?.current === 'number' ? { current: d.current } : {}),
          ...(typeof d?.total === 'number' ? { total: d.total } : {}),
        })
      })
    } catch (err) {
      const e = fromDockerError(err, `pull ${ref}`)
      if (e.code === 'DKA_CONDUCTOR_DOCKER_UNAVAILABLE') throw e
      throw new ImagePullError(ref, (err as { json?: { message?: string } }).json?.message ?? (err as Error).message, err)
    }
  }

  async events(labels: Record<string, string>, onEvent: (e: EngineEvent) => void, onEnd: (err?: Error) => void): Promise<EventSubscription> {
    const stream = await this.call('subscribe to events', () =>
      this.docker.getEvents({ filters: { type: ['container'], label: labelFilters(labels) } })) as NodeJS.ReadableStream & { destroy?: () => void }
    const lines = new JsonLineSplitter()
    let closed = false
    stream.on('data', (chunk: Buffer) => {
      for (const line of lines.push(chunk)) {
        // A torn or unknown line: the periodic resync covers whatever it meant.
        if (!line.ok || typeof line.value !== 'object' || line.value === null) continue
        const e = line.value as { Action?: unknown; status?: unknown; id?: unknown; Actor?: { ID?: unknown; Attributes?: unknown } }
        const attrs = e.Actor?.Attributes
        onEvent({
          action: typeof e.Action === 'string' ? e.Action : typeof e.status === 'string' ? e.status : '',
          containerId: typeof e.Actor?.ID === 'string' ? e.Actor.ID : typeof e.id === 'string' ? e.id : '',
          labels: typeof attrs === 'object' && attrs !== null ? attrs as Record<string, string> : {},
        })
      }
    })
    const end = (err?: Error) => { if (!closed) { closed = true; onEnd(err) } }
    stream.on('end', () => end())
    stream.on('error', (err: Error) => end(err))
    // A socket closed without an end (the engine restarted) ends the subscription too.
    stream.on('close', () => end())
    return { close: () => { closed = true; stream.destroy?.() } }
  }

  async logs(idOrName: string, opts: LogsOptions, signal?: AbortSignal): Promise<Readable> {
    const container = this.docker.getContainer(idOrName)
    // A TTY container's output is raw; any other's comes in Docker's frames.
    const { Config: { Tty: tty } } = await this.call(`inspect container ${idOrName}`, () => container.inspect())
    const query = { stdout: true, stderr: true, tail: opts.tail } as const
    const out = new PassThrough()
    if (!opts.follow) {
      const buf = await this.call(`read logs of ${idOrName}`, () => container.logs({ ...query, follow: false })) as unknown as Buffer
      return out.end(tty ? buf : demuxBuffer(buf))
    }
    const stream = await this.call(`follow logs of ${idOrName}`, () => container.logs({ ...query, follow: true })) as NodeJS.ReadableStream & { destroy(): void }
    if (tty) stream.pipe(out)
    else this.docker.modem.demuxStream(stream, out, out)
    const stop = () => stream.destroy()
    // However the engine's stream ends (done, broken, or stopped through `signal`), so does ours.
    const done = () => { signal?.removeEventListener('abort', stop); out.end() }
    stream.on('end', done)
    stream.on('error', done)
    stream.on('close', done)
    if (signal?.aborted) stop()
    else signal?.addEventListener('abort', stop, { once: true })
    return out
  }

  async info(): Promise<EngineInfo> {
    const i = await this.call('read engine info', () => this.docker.info()) as { NCPU: number; MemTotal: number; ServerVersion: string }
    return { cpus: i.NCPU, memory: i.MemTotal, version: i.ServerVersion }
  }

  async networkGateway(network: string): Promise<string | undefined> {
    const net = await this.call(`inspect network ${network}`, () => this.docker.getNetwork(network).inspect()) as
      { IPAM?: { Config?: { Gateway?: string; Subnet?: string }[] } }
    const cfg = net.IPAM?.Config?.[0]
    if (cfg?.Gateway) return cfg.Gateway
    // The default bridge often lists only its subnet; its gateway is the subnet's first address.
    const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/\d+$/.exec(cfg?.Subnet ?? '')
    return m ? `${m[1]}.${m[2]}.${m[3]}.${Number(m[4]) + 1}` : undefined
  }
}
