// Records read back from etcd, one small reader per kind. Anyone with etcd access can
// write anything under any key — text that is not JSON, arrays, numbers, null, megabyte
// strings, fields of the wrong type — so every value the conductor or the scheduler acts
// on passes through one of these first. Each returns a fresh object holding only the
// fields it checked (long free text cut short), or undefined for a value of the wrong
// shape, which the caller skips (and logs once). Assignments have their own reader
// (assignment-record.ts), manifests and the policy theirs in schemas/.
import { parseBoundedObject } from '../kit/bounded-json.js'
import {
  APP_PHASES, DEFAULT_LIMITS, isHostId, isImageDigest,
  type AgentTokenRecord, type AppPhase, type ControlRecord, type DesiredRunState, type HealthState, type HostRecord,
  type InstanceRecord, type InstanceState, type ManifestError, type RolloutStatus, type SkydnsRecord, type StatusRecord,
} from '../schemas/index.js'

/** Larger than any record a conductor or scheduler writes. */
export const MAX_RECORD_BYTES = 64 * 1024
/** Free text (errors, messages) kept from a record: a status or a log line carries it further. */
export const MAX_TEXT = 2000

const INSTANCE_STATES: readonly string[] = ['pulling', 'creating', 'running', 'restarting', 'stopped', 'paused', 'exited', 'failed']
const HEALTH_STATES: readonly string[] = ['starting', 'healthy', 'unhealthy'] satisfies HealthState[]
const ROLLOUT_STATES: readonly string[] = ['rolling', 'completed', 'rolled-back', 'paused'] satisfies RolloutStatus['state'][]
/** The manifest schema's largest scale. */
const MAX_SCALE = 1000
const PHASES: readonly string[] = APP_PHASES
const RUN_STATES: readonly string[] = ['running', 'stopped', 'paused']

type Obj = Record<string, unknown>

/** The JSON object in `text`, or undefined: too large, too deep, not JSON, or not an object. */
export function readObject(text: string, maxBytes = MAX_RECORD_BYTES): Obj | undefined {
  return parseBoundedObject(text, { chars: maxBytes, depth: DEFAULT_LIMITS.depth })
}

/** /instances/<app>/<name>/<i>. */
export function readInstanceRecord(text: string): InstanceRecord | undefined {
  const o = readObject(text)
  if (!o) return undefined
  if (!isHostId(o['host']) || !str(o['hostAddress'], 253) || !str(o['containerId'], 128) || !str(o['containerName'], 512)) return undefined
  if (!INSTANCE_STATES.includes(o['state'] as string) || !str(o['specHash'], 64) || !count(o['restarts']) || !str(o['updatedAt'], 64)) return undefined
  const ports = portMap(o['ports'])
  if (!ports) return undefined
  const r: InstanceRecord = {
    host: o['host'], hostAddress: o['hostAddress'] as string, containerId: o['containerId'] as string,
    containerName: o['containerName'] as string, state: o['state'] as InstanceState, specHash: o['specHash'] as string,
    ports, restarts: o['restarts'] as number, updatedAt: o['updatedAt'] as string,
  }
  if (o['address'] !== undefined) { if (!str(o['address'], 64)) return undefined; r.address = o['address'] as string }
  if (o['startedAt'] !== undefined) { if (!str(o['startedAt'], 64)) return undefined; r.startedAt = o['startedAt'] as string }
  if (o['exitCode'] !== undefined) { if (!Number.isSafeInteger(o['exitCode'])) return undefined; r.exitCode = o['exitCode'] as number }
  if (o['restartGeneration'] !== undefined) { if (!count(o['restartGeneration'])) return undefined; r.restartGeneration = o['restartGeneration'] as number }
  if (o['error'] !== undefined) { if (typeof o['error'] !== 'string') return undefined; r.error = cut(o['error']) }
  if (o['health'] !== undefined) { if (!HEALTH_STATES.includes(o['health'] as string)) return undefined; r.health = o['health'] as HealthState }
  if (o['healthError'] !== undefined) { if (typeof o['healthError'] !== 'string') return undefined; r.healthError = cut(o['healthError']) }
  if (o['healthySince'] !== undefined) { if (!str(o['healthySince'], 64)) return undefined; r.healthySince = o['healthySince'] as string }
  // What image runs, and pull progress: informational, so a junk value is dropped, not the record.
  if (isImageDigest(o['imageDigest'])) r.imageDigest = o['imageDigest']
  if (isImageDigest(o['imageId'])) r.imageId = o['imageId']
  if (typeof o['pullProgress'] === 'string') r.pullProgress = cut(o['pullProgress'], 200)
  return r
}

/** /skydns/local/dokkaa/<app>/<service>/<leaf>. */
export function readSkydnsRecord(text: string): SkydnsRecord | undefined {
  const o = readObject(text)
  if (!o || !str(o['host'], 253) || !isPort(o['port'])) return undefined
  const r: SkydnsRecord = { host: o['host'] as string, port: o['port'] as number }
  if (o['instance'] !== undefined) { if (!str(o['instance'], 512)) return undefined; r.instance = o['instance'] as string }
  if (o['role'] !== undefined) { if (o['role'] !== 'web' && o['role'] !== 'tcp') return undefined; r.role = o['role'] }
  if (o['protocol'] !== undefined) { if (o['protocol'] !== 'tcp' && o['protocol'] !== 'udp') return undefined; r.protocol = o['protocol'] }
  return r
}

/**
 * /hosts/<id>: the record exists while the host's lease holds, so even an unreadable one
 * proves the host alive; it just offers no labels and no capacity (`wellFormed` false).
 */
export function readHostRecord(id: string, text: string): { host: HostRecord; wellFormed: boolean } {
  const o = readObject(text) ?? {}
  const labels = stringMap(o['labels'], 64, 253)
  const host: HostRecord = {
    id,
    address: str(o['address'], 253) ? o['address'] as string : '',
    labels: labels ?? {},
    cpus: nonNegative(o['cpus']) ? o['cpus'] as number : 0,
    memory: nonNegative(o['memory']) ? o['memory'] as number : 0,
    engineVersion: str(o['engineVersion'], 64) ? o['engineVersion'] as string : '',
    startedAt: str(o['startedAt'], 64) ? o['startedAt'] as string : '',
  }
  if (str(o['ambassadorAddress'], 253)) host.ambassadorAddress = o['ambassadorAddress'] as string
  if (str(o['agentUrl'], 512)) host.agentUrl = o['agentUrl'] as string
  const wellFormed = o['id'] === id && labels !== undefined && nonNegative(o['cpus']) && nonNegative(o['memory']) && str(o['address'], 253)
  return { host, wellFormed }
}

/** /apps/<app>/<name>/control. A record with any field of the wrong shape is skipped whole. */
export function readControlRecord(text: string): ControlRecord | undefined {
  const o = readObject(text)
  if (!o) return undefined
  const top = runIntent(o)
  if (!top) return undefined
  const r: ControlRecord = { ...top }
  if (o['instances'] !== undefined) {
    if (!isObject(o['instances'])) return undefined
    const entries = Object.entries(o['instances'])
    if (entries.length > DEFAULT_LIMITS.listItems * 4) return undefined
    const instances: NonNullable<ControlRecord['instances']> = {}
    for (const [index, v] of entries) {
      const intent = /^\d{1,6}$/.test(index) && isObject(v) ? runIntent(v) : undefined
      if (!intent) return undefined
      instances[String(Number(index))] = intent
    }
    r.instances = instances
  }
  return r
}

/** /apps/<app>/<name>/status, as the scheduler reads its own last word back. */
export function readStatusRecord(text: string): StatusRecord | undefined {
  const o = readObject(text)
  if (!o || !PHASES.includes(o['phase'] as string) || !count(o['desired']) || !count(o['running']) || !count(o['revision'])) return undefined
  if (!str(o['updatedAt'], 64) || !isObject(o['lastEvent']) || !str(o['lastEvent']['at'], 64) || typeof o['lastEvent']['message'] !== 'string') return undefined
  if (!Array.isArray(o['errors']) || !Array.isArray(o['problems'])) return undefined
  const errors: ManifestError[] = []
  for (const e of o['errors']) {
    if (!isObject(e) || typeof e['path'] !== 'string' || typeof e['message'] !== 'string') return undefined
    errors.push({ path: cut(e['path']), message: cut(e['message']) })
  }
  if (!o['problems'].every(p => typeof p === 'string')) return undefined
  const r: StatusRecord = {
    phase: o['phase'] as AppPhase, desired: o['desired'] as number, running: o['running'] as number, revision: o['revision'] as number,
    errors, problems: (o['problems'] as string[]).map(p => cut(p)),
    lastEvent: { at: o['lastEvent']['at'] as string, message: cut(o['lastEvent']['message']) },
    updatedAt: o['updatedAt'] as string,
  }
  if (o['validRevision'] !== undefined) { if (!count(o['validRevision'])) return undefined; r.validRevision = o['validRevision'] as number }
  if (o['specHash'] !== undefined) { if (!str(o['specHash'], 64)) return undefined; r.specHash = o['specHash'] as string }
  if (o['rollout'] !== undefined) {
    const rollout = readRollout(o['rollout'])
    if (!rollout) return undefined
    r.rollout = rollout
  }
  // Warnings (a volume recreated empty…) are informational: junk ones are dropped, not the record.
  const warnings = o['warnings']
  if (Array.isArray(warnings) && warnings.length > 0 && warnings.length <= 1000 && warnings.every(w => typeof w === 'string')) {
    r.warnings = (warnings as string[]).map(w => cut(w))
  }
  const pulling = o['pulling']
  if (Array.isArray(pulling) && pulling.length > 0 && pulling.length <= 1000 && pulling.every(w => typeof w === 'string')) {
    r.pulling = (pulling as string[]).map(w => cut(w))
  }
  return r
}

/** A status's rolling update: the scheduler reads it back to know a revision failed (not retried). */
function readRollout(v: unknown): RolloutStatus | undefined {
  if (!isObject(v) || !ROLLOUT_STATES.includes(v['state'] as string)) return undefined
  const from = revisionRef(v['from'])
  const to = revisionRef(v['to'])
  if (!from || !to || !count(v['updated']) || !count(v['total']) || !str(v['startedAt'], 64)) return undefined
  const r: RolloutStatus = {
    state: v['state'] as RolloutStatus['state'], from, to, updated: v['updated'], total: v['total'], startedAt: v['startedAt'],
  }
  if (v['reason'] !== undefined) { if (typeof v['reason'] !== 'string') return undefined; r.reason = cut(v['reason']) }
  if (v['endedAt'] !== undefined) { if (!str(v['endedAt'], 64)) return undefined; r.endedAt = v['endedAt'] }
  if (v['restartsBefore'] !== undefined) {
    const b = v['restartsBefore']
    // One entry per instance: at most the largest scale.
    if (!isObject(b) || Object.keys(b).length > MAX_SCALE || !Object.entries(b).every(([k, n]) => /^\d{1,6}$/.test(k) && count(n))) return undefined
    r.restartsBefore = { ...b } as Record<string, number>
  }
  return r
}

function revisionRef(v: unknown): { revision: number; specHash: string } | undefined {
  return isObject(v) && count(v['revision']) && str(v['specHash'], 64) ? { revision: v['revision'], specHash: v['specHash'] } : undefined
}

/** /owners/<app>: the owning user's name, or undefined for a value of the wrong shape. */
export function readOwner(text: string): string | undefined {
  const o = readObject(text)
  return o && str(o['user'], 253) && o['user'] !== '' ? o['user'] as string : undefined
}

/** /config/agent-token. */
export function readAgentToken(text: string): AgentTokenRecord | undefined {
  const o = readObject(text)
  // It travels in an HTTP header: printable, no spaces.
  if (!o || typeof o['token'] !== 'string' || !/^[\x21-\x7e]{16,512}$/.test(o['token'])) return undefined
  return { token: o['token'], createdAt: typeof o['createdAt'] === 'string' ? cut(o['createdAt'], 64) : '' }
}

function runIntent(o: Obj): { state?: DesiredRunState; restartGeneration?: number } | undefined {
  const r: { state?: DesiredRunState; restartGeneration?: number } = {}
  if (o['state'] !== undefined) {
    if (!RUN_STATES.includes(o['state'] as string)) return undefined
    r.state = o['state'] as DesiredRunState
  }
  if (o['restartGeneration'] !== undefined) {
    if (!count(o['restartGeneration'])) return undefined
    r.restartGeneration = o['restartGeneration'] as number
  }
  return r
}

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function str(v: unknown, max: number): v is string {
  return typeof v === 'string' && v.length <= max
}

function count(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
}

function nonNegative(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0
}

function isPort(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535
}

function portMap(v: unknown): Record<string, number> | undefined {
  if (!isObject(v)) return undefined
  const entries = Object.entries(v)
  if (entries.length > DEFAULT_LIMITS.services || !entries.every(([k, p]) => k.length <= 63 && isPort(p))) return undefined
  return Object.fromEntries(entries) as Record<string, number>
}

function stringMap(v: unknown, maxEntries: number, maxLength: number): Record<string, string> | undefined {
  if (!isObject(v)) return undefined
  const entries = Object.entries(v)
  if (entries.length > maxEntries || !entries.every(([k, x]) => k.length <= maxLength && str(x, maxLength))) return undefined
  return Object.fromEntries(entries) as Record<string, string>
}

function cut(s: string, max = MAX_TEXT): string {
  return s.length > max ? `${s.slice(0, max)}…` : s
}
