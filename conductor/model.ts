// The conductor's view of the world, as plain data: what the scheduler wants on this
// host (desired) and what the engine has (actual). The pure reconcile works on these;
// drivers translate etcd and Docker into them and nothing else.
import type { ContainerSpec, DesiredRunState, InstanceRef } from '../schemas/index.js'

/** One assignment of this host, with its lifecycle intent resolved. */
export interface DesiredInstance {
  ref: InstanceRef
  spec: ContainerSpec
  specHash: string
  run: DesiredRunState
  restartGeneration: number
  /** Stable proxy port of each link, as the scheduler allocated it. */
  linkPorts?: Readonly<Record<string, number>>
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

/** One container on the engine, plus what this conductor remembers about its instance. */
export interface ActualContainer extends ContainerFacts {
  /** The restartGeneration this conductor last carried out; unknown (after a crash) counts as done. */
  restartGeneration?: number
  /** The container is down because we stopped it (run state), not because it died. */
  stoppedByUs?: boolean
  /** Consecutive restarts after short runs: the crash-loop delay grows with it. */
  quickRestarts?: number
}

export type StartReason = 'restart-policy' | 'run-state' | 'never-started'

/** One action on one container. Steps of a plan touch distinct instances, so they may run in parallel. */
export type Step =
  | { kind: 'create'; ref: InstanceRef; desired: DesiredInstance }
  | { kind: 'replace'; ref: InstanceRef; containerId: string; desired: DesiredInstance }
  | { kind: 'start'; ref: InstanceRef; containerId: string; reason: StartReason; thenPause?: boolean }
  | { kind: 'restart'; ref: InstanceRef; containerId: string; generation: number }
  | { kind: 'stop' | 'pause' | 'unpause'; ref: InstanceRef; containerId: string }
  | { kind: 'remove'; ref: InstanceRef; containerId: string; reason: 'unassigned' | 'duplicate' }

export interface Plan {
  steps: Step[]
  /** Replacements held back so that instances of one manifest are replaced one at a time. */
  deferred: number
  /** Earliest time (ms) worth looking again: a crash-loop delay or a container being removed. */
  retryAt?: number
}

/** The in-memory keys of instances and manifests are the contract's (schemas/keys.ts). */
export { refKey, manifestKey } from '../schemas/index.js'
