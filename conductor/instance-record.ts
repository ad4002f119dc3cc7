// What the conductor announces about an instance: its /instances record and its SkyDNS
// entries, as pure functions of the inspected containers and what we remember of it. The
// record describes the container on the assigned spec (during a start-first replacement,
// the new one, so the scheduler can judge it); SkyDNS points at the one that serves.
import type { HealthState, InstanceRecord, InstanceRef, InstanceState, KeyLayout, SkydnsRecord } from '../schemas/index.js'
import { canonicalJson, containerName, skydnsLeaf } from '../schemas/index.js'
import { portKey } from './container-options.js'
import type { ContainerDetail } from './docker-engine.js'
import type { HealthVerdict } from './health/health-monitor.js'
import type { DesiredInstance } from './model.js'
import { refKey } from './model.js'

/** What the conductor remembers about one instance between passes (and reloads from its record). */
export interface InstanceMemo {
  /** Restarts we did after the container died (the record's `restarts`). */
  restarts: number
  /** Consecutive restarts after short runs: feeds the crash-loop delay. */
  quickRestarts: number
  restartGeneration?: number
  stoppedByUs: boolean
  /** The last failure (pull, create, start), cleared by the next success. */
  error?: string
  /** What a previous run of this conductor left: its record's container and health, and the
   * ports its SkyDNS entries pointed at (container-health.ts: a container that served stays
   * announced until checked anew). */
  adopted?: { containerId: string; health?: HealthState; healthySince?: string; dnsPorts?: number[] }
  /** While its image is being pulled: how far ("x:v2: 2 of 5 layers, 12.0 of 40.1 MB"). */
  pulling?: string
}

export const emptyMemo = (): InstanceMemo => ({ restarts: 0, quickRestarts: 0, stoppedByUs: false })

export interface RecordInput {
  ref: InstanceRef
  desired: DesiredInstance
  detail?: ContainerDetail
  /** The detail's health check verdict; absent when it has no check (or does not run). */
  health?: HealthVerdict
  memo: InstanceMemo
  hostId: string
  hostAddress: string
  now: number
  /** The registry digest of the detail's image, when it came from a registry (image-digests.ts). */
  imageDigest?: string
}

function stateOf(input: RecordInput): InstanceState {
  const { detail, desired, memo } = input
  if (!detail) return memo.pulling ? 'pulling' : 'failed'
  switch (detail.state) {
    case 'running': return 'running'
    case 'paused': return 'paused'
    case 'restarting': return 'restarting'
    case 'created': return desired.run === 'stopped' ? 'stopped' : memo.error ? 'failed' : 'creating'
    default:
      if (memo.stoppedByUs || desired.run === 'stopped') return 'stopped'
      return memo.error ? 'failed' : 'exited'
  }
}

/** The record of an instance; undefined while there is nothing to say (no container, no error yet). */
export function instanceRecord(input: RecordInput): InstanceRecord | undefined {
  const { ref, desired, detail, memo } = input
  if (!detail && !memo.error && !memo.pulling) return undefined
  const state = stateOf(input)
  const ports = detail ? publishedPorts(desired, detail) : {}
  const record: InstanceRecord = {
    host: input.hostId,
    hostAddress: input.hostAddress,
    containerId: detail?.id ?? '',
    containerName: detail?.name ?? containerName(ref),
    state,
    specHash: detail?.labels['io.dokkaa.spec'] ?? desired.specHash,
    ports,
    restarts: memo.restarts,
    updatedAt: new Date(input.now).toISOString(),
  }
  if (detail?.address) record.address = detail.address
  if (detail?.startedAt && (state === 'running' || state === 'paused')) record.startedAt = new Date(detail.startedAt).toISOString()
  if (detail && detail.exitCode !== undefined && detail.state !== 'created') record.exitCode = detail.exitCode
  // A new pull under way is the news: the failure it retries is shown again if it fails again.
  if (memo.error && state !== 'running' && !memo.pulling) record.error = memo.error
  if (memo.pulling) record.pullProgress = memo.pulling
  if (detail?.imageId) record.imageId = detail.imageId
  if (detail && input.imageDigest) record.imageDigest = input.imageDigest
  if (memo.restartGeneration !== undefined) record.restartGeneration = memo.restartGeneration
  const h = input.health
  if (h) {
    record.health = h.state
    if (h.error && h.state !== 'healthy') record.healthError = h.error
    if (h.healthySince !== undefined && h.state === 'healthy') record.healthySince = new Date(h.healthySince).toISOString()
  }
  return record
}

/** Service name -> the port it answers on at the host address (host network: the container port). */
export function publishedPorts(desired: DesiredInstance, detail: ContainerDetail): Record<string, number> {
  const ports: Record<string, number> = {}
  for (const [svc, spec] of Object.entries(desired.spec.services)) {
    const port = detail.networkMode === 'host' ? spec.port : detail.hostPorts[portKey(spec.port, spec.protocol)]
    if (port) ports[svc] = port
  }
  return ports
}

/** The record of an instance whose assignment was refused: failed, with the reason, no container. */
export function rejectedRecord(input: { ref: InstanceRef; reason: string; specHash: string; memo: InstanceMemo; hostId: string; hostAddress: string; now: number }): InstanceRecord {
  return {
    host: input.hostId,
    hostAddress: input.hostAddress,
    containerId: '',
    containerName: containerName(input.ref),
    state: 'failed',
    specHash: input.specHash,
    ports: {},
    restarts: input.memo.restarts,
    error: input.reason,
    updatedAt: new Date(input.now).toISOString(),
  }
}

/** Equal but for the time of writing: only a change is worth a write. */
export function sameRecord(a: InstanceRecord | undefined, b: InstanceRecord | undefined): boolean {
  if (!a || !b) return a === b
  return canonicalJson({ ...a, updatedAt: '' }) === canonicalJson({ ...b, updatedAt: '' })
}

/** SkyDNS entries of an instance: one per service with a published port of the container
 * that serves (running, healthy or without a check, not being withdrawn); none without one. */
export function skydnsRecords(keys: KeyLayout, ref: InstanceRef, desired: DesiredInstance, hostAddress: string, serving: ContainerDetail | undefined): Map<string, SkydnsRecord> {
  const out = new Map<string, SkydnsRecord>()
  if (!serving || serving.state !== 'running') return out
  const ports = publishedPorts(desired, serving)
  for (const [svc, spec] of Object.entries(desired.spec.services)) {
    const port = ports[svc]
    if (!port) continue
    const entry: SkydnsRecord = { host: hostAddress, port, instance: refKey(ref), protocol: spec.protocol ?? 'tcp' }
    if (spec.role) entry.role = spec.role
    out.set(keys.skydns(ref.app, svc, skydnsLeaf(ref)), entry)
  }
  return out
}

/** Restores what we remember of an instance from a record a previous run of this conductor wrote. */
export function memoFromRecord(r: InstanceRecord): InstanceMemo {
  return {
    restarts: r.restarts ?? 0,
    quickRestarts: 0,
    restartGeneration: r.restartGeneration,
    stoppedByUs: r.state === 'stopped',
    ...(r.containerId ? { adopted: { containerId: r.containerId, ...(r.health ? { health: r.health } : {}), ...(r.healthySince ? { healthySince: r.healthySince } : {}) } } : {}),
  }
}
