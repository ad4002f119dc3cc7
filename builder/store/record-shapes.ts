// Every etcd value the builder reads, shape-checked (pure, never throws). The values come
// from other processes, from operators with etcdctl, or from whoever else can write to
// etcd: a record of the wrong shape must not become a 500, a stack overflow in a response
// serializer, a hang (a "scale" of a billion) or a crash in a watch handler. Each reader
// keeps the fields whose type is right and drops the rest; a value that is not even an
// object of the kind is undefined, exactly like a missing key.
import { parseBoundedObject } from '../../kit/bounded-json.js'
import {
  DEFAULT_LIMITS, HEALTH_STATES, isDnsLabel, isHostId, isImageDigest, isName, ROLLOUT_STATES,
  type ControlRecord, type DesiredRunState, type HealthState, type HostRecord, type InstanceRecord, type ManifestError,
  type RolloutStatus, type StatusRecord,
} from '../../schemas/index.js'
import type { TokenRecord, UserRecord } from './accounts.js'

type Obj = Record<string, unknown>

const MAX_TEXT = 64 * 1024

function str(v: unknown, max = MAX_TEXT): string | undefined {
  return typeof v === 'string' && v.length <= max ? v : undefined
}

function int(v: unknown, min: number, max: number): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : undefined
}

function num(v: unknown, min = 0): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= min ? v : undefined
}

function obj(v: unknown): Obj | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Obj : undefined
}

/** Keeps the defined fields only, so a dropped field is absent rather than undefined. */
function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k]
  return o
}

function stringMap(v: unknown, maxEntries = 256): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, x] of Object.entries(obj(v) ?? {}).slice(0, maxEntries)) {
    const s = str(x, 4096)
    if (s !== undefined && k.length <= 256) out[k] = s
  }
  return out
}

/** A status's list of sentences (problems, warnings, pulling): the strings of an array, at most 1000. */
function lines(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.slice(0, 1000).filter((l): l is string => str(l) !== undefined) : undefined
}

const RUN_STATES: readonly DesiredRunState[] = ['running', 'stopped', 'paused']
const runState = (v: unknown): DesiredRunState | undefined => (RUN_STATES as readonly unknown[]).includes(v) ? v as DesiredRunState : undefined
const health = (v: unknown): HealthState | undefined => (HEALTH_STATES as readonly unknown[]).includes(v) ? v as HealthState : undefined
const revision = (v: unknown): number | undefined => int(v, 0, Number.MAX_SAFE_INTEGER)

/** A rollout's end: a manifest revision and the spec hash it made. */
function revisionRef(v: unknown): RolloutStatus['from'] | undefined {
  const o = obj(v)
  const rev = revision(o?.['revision'])
  const specHash = str(o?.['specHash'], 256)
  return rev === undefined ? undefined : { revision: rev, specHash: specHash ?? '' }
}

/** A status's rollout: needs a known state and both revisions (what it is about); other fields are kept when they read right. */
function readRollout(v: unknown): RolloutStatus | undefined {
  const o = obj(v)
  const state = o?.['state']
  const from = revisionRef(o?.['from'])
  const to = revisionRef(o?.['to'])
  if (!o || !(ROLLOUT_STATES as readonly unknown[]).includes(state) || !from || !to) return undefined
  const total = int(o['total'], 0, 1_000_000) ?? 0
  return defined({
    state: state as RolloutStatus['state'],
    from, to,
    updated: Math.min(int(o['updated'], 0, 1_000_000) ?? 0, total),
    total,
    reason: str(o['reason'], 4096),
    startedAt: str(o['startedAt'], 64) ?? '',
    endedAt: str(o['endedAt'], 64),
  })
}

/** A manifest document as stored: an object within the manifest limits, else null (shown as unreadable). */
export function readManifestDoc(text: string | undefined): Obj | null {
  return parseBoundedObject(text, { chars: DEFAULT_LIMITS.bytes, depth: DEFAULT_LIMITS.depth }) ?? null
}

/** The scale a stored manifest asks for, for display and state reports: 1 when absent, clamped to 0–1000. */
export function scaleOf(doc: unknown): number {
  const s = obj(doc)?.['scale']
  if (typeof s !== 'number' || !Number.isFinite(s)) return 1
  return Math.min(1000, Math.max(0, Math.floor(s)))
}

/** /apps/<app>/<name>/status, written by the scheduler: needs a phase. */
export function readStatus(text: string | undefined): Partial<StatusRecord> | undefined {
  const o = parseBoundedObject(text)
  const phase = str(o?.['phase'], 32)
  if (!o || phase === undefined) return undefined
  const errors = Array.isArray(o['errors'])
    ? o['errors'].slice(0, 1000).map(e => obj(e)).filter((e): e is Obj => !!e && str(e['path']) !== undefined && str(e['message']) !== undefined)
      .map(e => ({ path: e['path'], message: e['message'] }) as ManifestError)
    : undefined
  const last = obj(o['lastEvent'])
  return defined({
    phase: phase as StatusRecord['phase'],
    desired: int(o['desired'], 0, 1_000_000),
    running: int(o['running'], 0, 1_000_000),
    revision: revision(o['revision']),
    validRevision: revision(o['validRevision']),
    specHash: str(o['specHash'], 256),
    errors,
    problems: lines(o['problems']),
    warnings: lines(o['warnings']),
    pulling: lines(o['pulling']),
    rollout: readRollout(o['rollout']),
    lastEvent: last && str(last['at'], 64) !== undefined && str(last['message']) !== undefined ? { at: last['at'] as string, message: last['message'] as string } : undefined,
    updatedAt: str(o['updatedAt'], 64),
  })
}

/** /apps/<app>/<name>/control: lifecycle intent. Any object reads as a (possibly empty) record. */
export function readControl(text: string | undefined): ControlRecord | undefined {
  const o = parseBoundedObject(text)
  if (!o) return undefined
  const instances: NonNullable<ControlRecord['instances']> = {}
  for (const [k, v] of Object.entries(obj(o['instances']) ?? {}).slice(0, 1000)) {
    const i = obj(v)
    if (!i || !/^\d{1,3}$/.test(k)) continue
    instances[k] = defined({ state: runState(i['state']), restartGeneration: int(i['restartGeneration'], 0, Number.MAX_SAFE_INTEGER) })
  }
  return defined({
    state: runState(o['state']),
    restartGeneration: int(o['restartGeneration'], 0, Number.MAX_SAFE_INTEGER),
    instances: Object.keys(instances).length ? instances : undefined,
  })
}

/** /instances/<app>/<name>/<index>, written by the owning conductor: needs its host and container. */
export function readInstance(text: string | undefined): InstanceRecord | undefined {
  const o = parseBoundedObject(text)
  const host = o?.['host']
  const containerName = str(o?.['containerName'], 256)
  const state = str(o?.['state'], 32)
  if (!o || !isHostId(host) || containerName === undefined || state === undefined) return undefined
  const ports: Record<string, number> = {}
  for (const [k, v] of Object.entries(obj(o['ports']) ?? {}).slice(0, 256)) {
    const p = int(v, 1, 65535)
    if (p !== undefined && isDnsLabel(k)) ports[k] = p
  }
  return defined({
    host,
    hostAddress: str(o['hostAddress'], 256) ?? '',
    containerId: str(o['containerId'], 256) ?? '',
    containerName,
    state: state as InstanceRecord['state'],
    specHash: str(o['specHash'], 256) ?? '',
    address: str(o['address'], 256),
    ports,
    restarts: int(o['restarts'], 0, Number.MAX_SAFE_INTEGER) ?? 0,
    startedAt: str(o['startedAt'], 64),
    exitCode: int(o['exitCode'], -(2 ** 31), 2 ** 32),
    error: str(o['error']),
    restartGeneration: int(o['restartGeneration'], 0, Number.MAX_SAFE_INTEGER),
    health: health(o['health']),
    healthError: str(o['healthError'], 4096),
    healthySince: str(o['healthySince'], 64),
    imageDigest: isImageDigest(o['imageDigest']) ? o['imageDigest'] : undefined,
    imageId: isImageDigest(o['imageId']) ? o['imageId'] : undefined,
    pullProgress: str(o['pullProgress'], 1024),
    updatedAt: str(o['updatedAt'], 64) ?? '',
  })
}

/** /hosts/<id>, written by a conductor. The agent URL is kept only if it is http(s): the builder sends it the agent token. */
export function readHost(id: string, text: string | undefined): HostRecord | undefined {
  const o = parseBoundedObject(text)
  if (!o || !isHostId(id)) return undefined
  const agentUrl = str(o['agentUrl'], 2048)
  let agent: string | undefined
  try { agent = agentUrl && /^https?:$/.test(new URL(agentUrl).protocol) ? agentUrl : undefined } catch { agent = undefined }
  return defined({
    id,
    address: str(o['address'], 256) ?? '',
    labels: stringMap(o['labels']),
    cpus: num(o['cpus']) ?? 0,
    memory: num(o['memory']) ?? 0,
    engineVersion: str(o['engineVersion'], 64) ?? '',
    ambassadorAddress: str(o['ambassadorAddress'], 256),
    agentUrl: agent,
    startedAt: str(o['startedAt'], 64) ?? '',
  })
}

/** /owners/<app>: the owning user's name, if it is one. */
export function readOwner(text: string | undefined): string | undefined {
  const user = parseBoundedObject(text)?.['user']
  return isName(user) ? user : undefined
}

/** /users/<name>: all fields required; a record that is not a user is no user (login fails with 401). */
export function readUser(text: string | undefined): UserRecord | undefined {
  const o = parseBoundedObject(text)
  const name = o?.['name']
  const passwordHash = str(o?.['passwordHash'], 1024)
  if (!o || !isName(name) || typeof o['admin'] !== 'boolean' || passwordHash === undefined) return undefined
  return { name, admin: o['admin'], passwordHash, createdAt: str(o['createdAt'], 64) ?? '' }
}

/** /tokens/<id>: all fields required; anything else is no token (401). */
export function readToken(text: string | undefined): TokenRecord | undefined {
  const o = parseBoundedObject(text)
  const id = str(o?.['id'], 64)
  const user = o?.['user']
  const hash = str(o?.['hash'], 256)
  const kind = o?.['kind']
  if (!o || id === undefined || !isName(user) || hash === undefined || (kind !== 'api' && kind !== 'session')) return undefined
  const expiresAt = str(o['expiresAt'], 64)
  return defined<TokenRecord>({ id, user, name: str(o['name'], 256) ?? '', kind, hash, createdAt: str(o['createdAt'], 64) ?? '', expiresAt })
}

/** /config/agent-token: the token, if the record holds one. */
export function readAgentToken(text: string | undefined): string | undefined {
  const token = str(parseBoundedObject(text)?.['token'], 1024)
  return token ? token : undefined
}
