// TypeScript types matching manifest-schema.ts, plus the normalized form every
// consumer works with (services always objects, defaults filled in).

import type { PullPolicy } from './registries.js'

export type RestartPolicy = 'always' | 'on-failure' | 'never'

export interface ServiceSpec {
  port: number
  protocol?: 'tcp' | 'udp'
  role?: 'web' | 'tcp'
  /** "auto": HTTPS at the web router with a certificate obtained over ACME (role "web" only). */
  tls?: 'auto'
}

export interface DockerFlags {
  User?: string
  WorkingDir?: string
  Entrypoint?: string | string[]
  Tty?: boolean
  OpenStdin?: boolean
  StopSignal?: string
  StopTimeout?: number
  Domainname?: string
  ShmSize?: number
  ReadonlyRootfs?: boolean
  CapDrop?: string[]
  Tmpfs?: Record<string, string>
  Ulimits?: { Name: string; Soft: number; Hard: number }[]
  Init?: boolean
  NetworkMode?: 'bridge' | 'none' | 'host'
}

/** A port the manifest publishes: a service name or its port number. */
export type PortRef = string | number

export interface HealthSpec {
  http?: string | { path: string; port?: PortRef }
  tcp?: PortRef
  cmd?: string[]
  /** Durations: "5s", "500ms", "1m30s". */
  interval?: string
  timeout?: string
  retries?: number
  startPeriod?: string
}

export interface UpdateSpec {
  order?: 'start-first' | 'stop-first'
  parallelism?: number
  delay?: string
  monitor?: string
  failureAction?: 'rollback' | 'pause'
}

/** A volume: its path in the container, and for a bind the host directory (policy allowHostPaths). */
export interface VolumeSpec {
  path: string
  hostPath?: string
  readOnly?: boolean
}

/** A manifest as a user writes it. */
export interface Manifest {
  image: string
  scale?: number
  command?: string | string[]
  env?: Record<string, string | number | boolean>
  services?: Record<string, number | ServiceSpec>
  links?: string[]
  resources?: { memory?: string; cpus?: number }
  restart?: RestartPolicy
  hostname?: string
  dns?: string[]
  extraHosts?: string[]
  labels?: Record<string, string>
  constraints?: Record<string, string>
  dockerflags?: DockerFlags
  /** How the conductor tells that an instance can take traffic. */
  health?: HealthSpec
  /** How a changed spec is rolled out. Not part of the container spec: changing it alone starts no rollout. */
  update?: UpdateSpec
  /** Signal of a graceful stop (default SIGTERM, or the image's STOPSIGNAL). */
  stopSignal?: string
  /** Time between the stop signal and SIGKILL (default "10s"). */
  stopGracePeriod?: string
  /** Volumes by name: `{"data": "/var/lib/app"}` (one Docker volume per instance, kept on its
   * host) or `{"path": …, "hostPath": …, "readOnly": …}`. */
  volumes?: Record<string, string | VolumeSpec>
  /** When the host of an instance's named volumes is gone: wait for it ("pin", the default)
   * or start the instance elsewhere with empty volumes ("recreate"). Placement policy: not in the container spec. */
  volumeFailover?: 'pin' | 'recreate'
  /** Names of the app's secrets, each mounted read-only at /run/secrets/<name> (tmpfs, 0400). */
  secrets?: string[]
  /** Config files: absolute path in the container → name of one of the app's configs. */
  configs?: Record<string, string>
  /** When a conductor pulls the image: "missing" (default), "always" (every create, following
   * a moved tag) or "never". Not part of the spec hash: changing it alone replaces nothing. */
  pull?: PullPolicy
}

/** A validated manifest with defaults applied and services in object form. */
export interface NormalizedManifest extends Omit<Manifest, 'scale' | 'services' | 'restart'> {
  scale: number
  restart: RestartPolicy
  services: Record<string, ServiceSpec>
}

/** The part of a manifest that shapes a container: everything but scale, placement and rollout policy. */
export type ContainerSpec = Omit<NormalizedManifest, 'scale' | 'constraints' | 'update' | 'volumeFailover'>

/** One error found in a manifest: a JSON pointer into the document and what is wrong there. */
export interface ManifestError {
  path: string
  message: string
}

// ClusterPolicy lives in policy.ts.
