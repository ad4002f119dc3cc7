// The conductor's view of the world, as plain data: what the scheduler wants on this
// host (desired) and what the engine has (actual). The pure reconcile works on these;
// drivers translate etcd and Docker into them and nothing else.
import type { AssignedConfig, AssignedSecret, ContainerSpec, DesiredRunState, HealthState, InstanceRef } from '../schemas/index.js'

/** One assignment of this host, with its lifecycle intent resolved. */
export interface DesiredInstance {
  ref: InstanceRef
  spec: ContainerSpec
  specHash: string
  run: DesiredRunState
  restartGeneration: number
  /** Stable proxy port of each link, as the scheduler allocated it. */
  linkPorts?: Readonly<Record<string, number>>
  /** How a running instance whose spec changed is replaced: absent = start-first (the new
   * container beside the old until it is ready), 'stop-first' = the old one goes first. */
  order?: 'stop-first'
  /** The spec the instance ran before a rolling update changed it: its old container's
   * health check and grace period are read from it. */
  previous?: { spec: ContainerSpec; specHash: string }
  /** The versions and sealed values of the secrets the spec names (opened at create), and the
   * configs' texts: written to files on a host tmpfs and bind-mounted (value-files.ts). */
  secrets?: Readonly<Record<string, AssignedSecret>>
  configs?: Readonly<Record<string, AssignedConfig>>
  /** The digest every instance of this spec runs, once one has run it (Assignment.imageDigest):
   * the image is then `repo@digest`, whatever the tag points at now. */
  imageDigest?: string
}

/** Docker's container states (State.Status). */
export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead'

/** What the engine says about a container that reconcile cares about. Times in ms since the epoch. */
export interface ContainerFacts {
  id: string
  name: string
  labels: Record<string, string>
  state: ContainerState
  createdAt: number
  exitCode?: number
  startedAt?: number
  finishedAt?: number
}

/** The steps that withdraw a container from SkyDNS and wait for it: run in the background. */
export type GracefulKind = 'retire' | 'stop' | 'restart'

/** One container on the engine, plus what this conductor remembers about its instance. */
export interface ActualContainer extends ContainerFacts {
  /** The restartGeneration this conductor last carried out; unknown (after a crash) counts as done. */
  restartGeneration?: number
  /** The container is down because we stopped it (run state), not because it died. */
  stoppedByUs?: boolean
  /** Consecutive restarts after short runs: the crash-loop delay grows with it. */
  quickRestarts?: number
  /** Its health check's verdict while it runs; undefined: no check (running is ready). */
  health?: HealthState
  /** Since when it has been unhealthy (ms): its restart waits out a grace after that. */
  unhealthySince?: number
  /** A graceful step under way on it (withdraw, drain, stop…): left alone until it ends. */
  inFlight?: GracefulKind
}

export type StartReason = 'restart-policy' | 'run-state' | 'never-started'

/** Why a container of an instance goes away. */
export type RemoveReason =
  | 'unassigned'
  /** Another container of the instance on the same spec stays. */
  | 'duplicate'
  /** Stop-first: the old container goes before the new one is created. */
  | 'replaced'
  /** Start-first: a container on the instance's spec is ready, or this one is on a spec nobody wants any more. */
  | 'superseded'

/** One action on one container. Steps of a plan touch distinct containers, so they may run in parallel. */
export type Step =
  | { kind: 'create'; ref: InstanceRef; desired: DesiredInstance }
  /** A container that is down: removed, and the new one created. */
  | { kind: 'replace'; ref: InstanceRef; containerId: string; desired: DesiredInstance }
  | { kind: 'start'; ref: InstanceRef; containerId: string; reason: StartReason; thenPause?: boolean }
  | { kind: 'restart'; ref: InstanceRef; containerId: string; generation: number; reason: 'generation' | 'unhealthy' }
  | { kind: 'stop'; ref: InstanceRef; containerId: string }
  | { kind: 'pause' | 'unpause'; ref: InstanceRef; containerId: string }
  /** A container that is not up: removed at once. */
  | { kind: 'remove'; ref: InstanceRef; containerId: string; reason: RemoveReason }
  /** A container that is up: withdrawn, drained, stopped gracefully, removed. */
  | { kind: 'retire'; ref: InstanceRef; containerId: string; reason: RemoveReason }
  /** The instance's only container, created beside an old one, takes the canonical name. */
  | { kind: 'rename'; ref: InstanceRef; containerId: string }

export type GracefulStep = Extract<Step, { kind: GracefulKind }>

/** Retire, stop and restart withdraw the container and wait for it: the agent runs them in the background. */
export function isGraceful(step: Step): step is GracefulStep {
  return step.kind === 'retire' || step.kind === 'stop' || step.kind === 'restart'
}

/** Takes traffic: running, and healthy when it has a check. */
export function isReady(c: { state: ContainerState; health?: HealthState }): boolean {
  return c.state === 'running' && (c.health === undefined || c.health === 'healthy')
}

export interface Plan {
  steps: Step[]
  /** Stop-first replacements held back so that instances of one manifest are replaced one at a time. */
  deferred: number
  /** Earliest time (ms) worth looking again: a crash-loop delay or a container being removed. */
  retryAt?: number
}

/** The in-memory keys of instances and manifests are the contract's (schemas/keys.ts). */
export { refKey, manifestKey } from '../schemas/index.js'
