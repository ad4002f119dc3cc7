// The narrow slice of the Docker Engine API the conductor uses. The dockerode
// implementation lives in dockerode-engine.ts; nothing else imports dockerode.
import type Docker from 'dockerode'
import type { ContainerFacts } from './model.js'

/** What inspect tells us about a container, flattened. */
export interface ContainerDetail extends ContainerFacts {
  /** IP on the container's first network (NetworkSettings.Networks). */
  address?: string
  /** "80/tcp" -> published host port. */
  hostPorts: Record<string, number>
  networkMode: string
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
  create(opts: Docker.ContainerCreateOptions): Promise<string>
  start(id: string): Promise<void>
  stop(id: string): Promise<void>
  kill(id: string): Promise<void>
  restart(id: string): Promise<void>
  pause(id: string): Promise<void>
  unpause(id: string): Promise<void>
  /** Forced removal; a container already gone is not an error. */
  remove(id: string): Promise<void>
  imageExists(ref: string): Promise<boolean>
  /** Pulls, calling onProgress with Docker's status lines; throws IMAGE_PULL_FAILED. */
  pull(ref: string, onProgress: (status: string) => void): Promise<void>
  /** Container events for containers with the given labels; onEnd when the stream breaks. */
  events(labels: Record<string, string>, onEvent: (e: EngineEvent) => void, onEnd: (err?: Error) => void): Promise<EventSubscription>
  info(): Promise<EngineInfo>
  /** The default bridge network's gateway: where containers reach this host. */
  /** Gateway address of a Docker network ("bridge" = docker0): where the ambassador listens for containers. */
  networkGateway(network: string): Promise<string | undefined>
}
