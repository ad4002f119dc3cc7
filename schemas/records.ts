// The values stored under each key of keys.ts. All are JSON.
import type { HealthState } from './health.js'
import type { ContainerSpec, ManifestError } from './manifest.js'
import type { AssignedConfig, AssignedSecret } from './secrets.js'

/** /hosts/<host>, under the conductor's lease. */
export interface HostRecord {
  id: string
  /** Address other hosts and containers reach this host at. */
  address: string
  labels: Record<string, string>
  cpus: number
  /** Bytes. */
  memory: number
  engineVersion: string
  /** Address of this host's ambassador as seen from its containers (docker bridge gateway), if one runs. */
  ambassadorAddress?: string
  /** Base URL of the conductor's authenticated agent API (logs), if it serves one. */
  agentUrl?: string
  startedAt: string
}

/** /assign/<host>/<app>/<name>/<index>, written by the scheduler. Carries the spec itself so a
 * conductor never needs the manifest key, and an invalid manifest never reaches a host. */
export interface Assignment {
  spec: ContainerSpec
  specHash: string
  /** etcd mod revision of the manifest this spec came from. */
  revision: number
  /** Lifecycle intent merged in by the scheduler from the control key; absent = running. */
  run?: DesiredRunState
  /** Bumped to ask the owning conductor for one restart of this instance. */
  restartGeneration?: number
  /** The manifest's placement constraints, so the scheduler can still move the instance
   * off a dead host while the current manifest is invalid. Conductors ignore it. */
  constraints?: Record<string, string>
  /** The stable proxy port of each of spec.links (as written), allocated by the scheduler
   * in the same plan write: the container's SERVICE_<X>_PORT. Absent when there are no links. */
  linkPorts?: Record<string, number>
  /** The spec this instance ran before a rolling update changed it, while it may still be
   * rolled back to: what the scheduler writes back on a failed rollout. */
  previous?: { spec: ContainerSpec; specHash: string; revision: number; imageDigest?: string }
  /** How the conductor replaces a running instance whose spec changed: start-first (absent)
   * starts the new container beside the old and stops the old once the new is healthy. */
  order?: 'stop-first'
  /** When the scheduler gave this index its current spec (ISO): a rollout step's start. */
  since?: string
  /** The current version (and sealed value) of each secret spec.secrets names: what the
   * conductor mounts. Part of specHash, so a new version rolls the instance. */
  secrets?: Record<string, AssignedSecret>
  /** The current version and text of each config spec.configs names; part of specHash too. */
  configs?: Record<string, AssignedConfig>
  /** The image digest ("sha256:…") every instance of this specHash runs: the first one
   * reported by an instance (InstanceRecord.imageDigest), so a tag that moves during a
   * rollout does not split it. Not part of specHash. Absent until known, and for images
   * that did not come from a registry (no digest to pull by). */
  imageDigest?: string
}

export type InstanceState =
  | 'pulling' | 'creating' | 'running' | 'restarting' | 'stopped' | 'paused'
  | 'exited' | 'failed'

/** /instances/<app>/<name>/<index>, under the owning host's lease. */
export interface InstanceRecord {
  host: string
  hostAddress: string
  containerId: string
  containerName: string
  state: InstanceState
  specHash: string
  /** Docker IP on the container's network. */
  address?: string
  /** service name -> published host port. */
  ports: Record<string, number>
  restarts: number
  startedAt?: string
  exitCode?: number
  /** What went wrong, for a human (pull failure, create error…). */
  error?: string
  /** Last restartGeneration of the assignment this conductor carried out. */
  restartGeneration?: number
  /** Absent when neither the manifest nor the image has a health check (running = ready). */
  health?: HealthState
  /** The last failed check, for a human ("GET /healthz: 503", "connect ECONNREFUSED"). */
  healthError?: string
  /** Since when the instance has been healthy without a break (ISO); the rollout's monitor counts from it. */
  healthySince?: string
  /** The registry digest ("sha256:…") of the image the container runs, when it came from a registry. */
  imageDigest?: string
  /** The local image id ("sha256:…") the container runs. */
  imageId?: string
  /** While state is "pulling": how far ("3 of 5 layers, 12.0 of 40.1 MB"). */
  pullProgress?: string
  updatedAt: string
}

/** /skydns/local/dokkaa/<app>/<service>/<leaf>: CoreDNS etcd plugin format. */
export interface SkydnsRecord {
  host: string
  port: number
  /** Extra fields CoreDNS ignores; the ambassador uses them. */
  instance?: string
  role?: 'web' | 'tcp'
  protocol?: 'tcp' | 'udp'
}

export const APP_PHASES = ['Pending', 'Running', 'Degraded', 'Invalid', 'Stopped', 'Failed', 'Updating', 'RolledBack', 'Paused'] as const
export type AppPhase = typeof APP_PHASES[number]

/** A rolling update, as the status shows it. */
export interface RolloutStatus {
  state: 'rolling' | 'completed' | 'rolled-back' | 'paused'
  from: { revision: number; specHash: string }
  to: { revision: number; specHash: string }
  /** Instances on the new spec and good (healthy for the monitor period), of `total`. */
  updated: number
  total: number
  /** Why it was rolled back or paused. */
  reason?: string
  startedAt: string
  endedAt?: string
  /** While rolling: the restart count of each instance (by index) this rollout changed, when
   * it changed it. A count above it on the new spec is a crash loop. */
  restartsBefore?: Record<string, number>
}

/** /apps/<app>/<name>/status, written by the scheduler. */
export interface StatusRecord {
  phase: AppPhase
  desired: number
  running: number
  /** Revision of the manifest last read, and of the last valid one (what is deployed). */
  revision: number
  validRevision?: number
  specHash?: string
  /** Validation errors of the current manifest; the last valid version keeps running. */
  errors: ManifestError[]
  /** Problems of instances: pull failures, unschedulable, missing links. */
  problems: string[]
  /** What a user should know that is no problem, so it does not change the phase: an
   * instance started afresh with empty volumes (volumeFailover "recreate"). Absent when none. */
  warnings?: string[]
  /** Instances pulling their image, and how far ("instance 0 on h1: pulling x:v2: 3 of 5 layers…"). Absent when none. */
  pulling?: string[]
  /** The last rolling update (kept after it ends, until the next one starts). */
  rollout?: RolloutStatus
  lastEvent: { at: string; message: string }
  updatedAt: string
}

export type DesiredRunState = 'running' | 'stopped' | 'paused'

/** /apps/<app>/<name>/control: lifecycle intent. Absent means running.
 * `restartGeneration` bumps ask for a restart; per-instance entries override the manifest-wide state. */
export interface ControlRecord {
  state?: DesiredRunState
  restartGeneration?: number
  instances?: Record<string, { state?: DesiredRunState; restartGeneration?: number }>
}

/** /owners/<app>: the user an app belongs to (created by the builder on the app's first manifest). */
export interface OwnerRecord {
  user: string
  createdAt: string
}

/** /config/agent-token: bearer token of the conductors' agent API, created once by the builder. */
export interface AgentTokenRecord {
  token: string
  createdAt: string
}
