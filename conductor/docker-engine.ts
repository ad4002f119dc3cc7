// The narrow slice of the Docker Engine API the conductor uses, in the conductor's own
// types. The dockerode implementation lives in dockerode-engine.ts; nothing else imports
// dockerode (eslint.config.js enforces it).
import type { Readable } from 'node:stream'
import type { ContainerFacts } from './model.js'

/** Where a published port lands on the host; hostPort '' lets Docker pick a free port. */
export interface PortBinding {
  hostIp: string
  hostPort: string
}

export interface Ulimit {
  name: string
  soft: number
  hard: number
}

/**
 * A mount of a manifest's volume (conductor/volume-mounts.ts decides them). A named volume
 * is Docker's `volume` mount by a name that is the same for every container of the
 * instance, so a new container finds the old one's data; Docker creates it on first use,
 * with `labels`, and never removes it with a container. A bind mounts a host directory,
 * which must exist (Docker's `bind` mount refuses a missing source; `Binds` would create one).
 */
export type ContainerMount =
  | { type: 'volume'; source: string; target: string; readOnly: boolean; labels: Record<string, string> }
  | { type: 'bind'; source: string; target: string; readOnly: boolean }

/** A probe Docker runs inside the container. Durations in nanoseconds, Docker's unit. */
export interface ContainerHealthcheck {
  /** ["CMD", ...args], ["CMD-SHELL", script] or ["NONE"]. */
  test: string[]
  intervalNs?: number
  timeoutNs?: number
  retries?: number
  startPeriodNs?: number
}

/**
 * A new container, as container-options.ts decides it. Docker never restarts a container
 * of ours (the engine creates each with restart policy "no"): the conductor restarts them
 * itself, so that every death is seen and counted. An optional field left out keeps
 * Docker's (or the image's) default.
 */
export interface ContainerCreate {
  name: string
  image: string
  cmd?: string[]
  entrypoint?: string | string[]
  /** "KEY=value". */
  env: string[]
  labels: Record<string, string>
  /** Port keys: "80/tcp", "53/udp". */
  exposedPorts: string[]
  /** Port key -> where it is published. */
  portBindings: Record<string, PortBinding[]>
  /** "none", "host" or a network's name. */
  networkMode: string
  dns?: string[]
  dnsSearch?: string[]
  /** "name:address". */
  extraHosts?: string[]
  hostname?: string
  domainname?: string
  memoryBytes?: number
  /** CPUs in billionths. */
  nanoCpus?: number
  user?: string
  workingDir?: string
  tty?: boolean
  openStdin?: boolean
  stopSignal?: string
  /** Seconds between the stop signal and SIGKILL. */
  stopTimeout?: number
  shmSizeBytes?: number
  readonlyRootfs?: boolean
  capDrop?: string[]
  /** Mount point -> mount options. */
  tmpfs?: Record<string, string>
  ulimits?: Ulimit[]
  init?: boolean
  healthcheck?: ContainerHealthcheck
  mounts?: ContainerMount[]
}

export interface LogsOptions {
  /** Lines from the end of the output. */
  tail: number
  /** Keep the stream open for new output. */
  follow: boolean
}

/** What inspect tells us about a container, flattened. */
export interface ContainerDetail extends ContainerFacts {
  /** IP on the container's first network (NetworkSettings.Networks). */
  address?: string
  /** "80/tcp" -> published host port. */
  hostPorts: Record<string, number>
  networkMode: string
  /** It has a Docker HEALTHCHECK: its image's, or the one a manifest's cmd check became. */
  healthcheck?: boolean
  /** Docker's verdict of that HEALTHCHECK (State.Health), once the container started. */
  dockerHealth?: DockerHealth
  /** The local image id it runs ("sha256:…"), and the reference it was created from (Config.Image). */
  imageId?: string
  imageRef?: string
}

/** What the engine knows of a local image. */
export interface ImageFacts {
  /** "sha256:…" */
  id: string
  /** "repo@sha256:…" for each registry it was pulled from (none for an image built or loaded here). */
  repoDigests: string[]
}

/** Credentials for one pull, as Docker's X-Registry-Auth takes them. */
export interface RegistryAuth {
  username: string
  password: string
  serveraddress: string
}

/** One line of a pull's progress: a layer's status and, while downloading, its bytes. */
export interface PullProgressEvent {
  id?: string
  status: string
  current?: number
  total?: number
}

/** What Docker says of a container's HEALTHCHECK. */
export interface DockerHealth {
  status: 'starting' | 'healthy' | 'unhealthy'
  /** The output of the last failed check, for a human. */
  lastError?: string
}

export interface EngineInfo {
  cpus: number
  memory: number
  version: string
}

export interface EngineEvent {
  action: string
  containerId: string
  labels: Record<string, string>
}

export interface EventSubscription {
  close(): void
}

export interface DockerEngine {
  /** Every container (any state) carrying all the given labels. */
  listContainers(labels: Record<string, string>): Promise<{ id: string; name: string; labels: Record<string, string> }[]>
  /** undefined when the container does not exist (any more). */
  inspect(idOrName: string): Promise<ContainerDetail | undefined>
  /** Returns the new container's id; throws DOCKER_CONFLICT when the name is taken. */
  create(c: ContainerCreate): Promise<string>
  start(id: string): Promise<void>
  /** Sends the container's stop signal, then SIGKILL after `timeoutSec` (absent: the
   * container's own StopTimeout, else Docker's 10 s). Resolves once it has stopped. */
  stop(id: string, timeoutSec?: number): Promise<void>
  kill(id: string): Promise<void>
  /** A stop (as above) and a start. */
  restart(id: string, timeoutSec?: number): Promise<void>
  /** Throws DOCKER_CONFLICT when another container holds the name. */
  rename(id: string, name: string): Promise<void>
  pause(id: string): Promise<void>
  unpause(id: string): Promise<void>
  /** Forced removal of the container alone: its named volumes stay (retain). A container already gone is not an error. */
  remove(id: string): Promise<void>
  imageExists(ref: string): Promise<boolean>
  /** The local image `ref` names (a tag, an id or repo@digest); undefined when there is none. */
  inspectImage(ref: string): Promise<ImageFacts | undefined>
  /** Pulls (with `auth` when given), calling onProgress with each of Docker's progress lines; throws IMAGE_PULL_FAILED. */
  pull(ref: string, onProgress: (e: PullProgressEvent) => void, auth?: RegistryAuth): Promise<void>
  /** Container events for containers with the given labels; onEnd when the stream breaks. */
  events(labels: Record<string, string>, onEvent: (e: EngineEvent) => void, onEnd: (err?: Error) => void): Promise<EventSubscription>
  /**
   * A container's output, stdout and stderr interleaved as they came, without Docker's
   * frame headers. Following, the stream stays open until the container stops or `signal`
   * aborts. Throws DOCKER_NOT_FOUND for a container that does not exist.
   */
  logs(idOrName: string, opts: LogsOptions, signal?: AbortSignal): Promise<Readable>
  info(): Promise<EngineInfo>
  /** Gateway address of a Docker network ("bridge" = docker0): where the ambassador listens for containers. */
  networkGateway(network: string): Promise<string | undefined>
  /** The names of the volumes carrying all the given labels. */
  listVolumes(labels: Record<string, string>): Promise<string[]>
  /** Deletes a volume and its data; throws DOCKER_CONFLICT while a container (even a stopped one) uses it, DOCKER_NOT_FOUND when there is none. */
  removeVolume(name: string): Promise<void>
}
