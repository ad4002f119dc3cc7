// What the conductor announces about an instance: its /instances record and its SkyDNS
// entries, as pure functions of the inspected container and what we remember of it.
import type { InstanceRecord, InstanceRef, InstanceState, KeyLayout, SkydnsRecord } from '../schemas/index.js'
import { canonicalJson, containerName, skydnsLeaf } from '../schemas/index.js'
import { portKey } from './container-options.js'
import type { ContainerDetail } from './docker-engine.js'
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
}

export const emptyMemo = (): InstanceMemo => ({ restarts: 0, quickRestarts: 0, stoppedByUs: false })

export interface RecordInput {
  ref: InstanceRef
  desired: DesiredInstance
  detail?: ContainerDetail
  memo: InstanceMemo
  hostId: string
  hostAddress: string
  now: number
}

function stateOf(input: RecordInput): InstanceState {
  const { detail, desired, memo } = input
  if (!detail) return 'failed'
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
  if (!detail && !memo.error) return undefined
  const state = stateOf(input)
  const ports: Record<string, number> = {}
  if (detail) {
    for (const [svc, spec] of Object.entries(desired.spec.services)) {
      const port = detail.networkMode === 'host' ? spec.port : detail.hostPorts[portKey(spec.port, spec.protocol)]
      if (port) ports[svc] = port
    }
  }
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
  if (memo.error && state !== 'running') record.error = memo.error
  if (memo.restartGeneration !== undefined) record.restartGeneration = memo.restartGeneration
  return record
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

/** SkyDNS entries of an instance: one per service with a published port, only while it runs. */
export function skydnsRecords(keys: KeyLayout, ref: InstanceRef, desired: DesiredInstance, record: InstanceRecord | undefined): Map<string, SkydnsRecord> {
  const out = new Map<string, SkydnsRecord>()
  if (!record || record.state !== 'running') return out
  for (const [svc, spec] of Object.entries(desired.spec.services)) {
    const port = record.ports[svc]
    if (!port) continue
    const entry: SkydnsRecord = { host: record.hostAddress, port, instance: refKey(ref), protocol: spec.protocol ?? 'tcp' }
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
  }
}
