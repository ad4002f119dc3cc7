// Reads an assignment value from etcd (/assign/<host>/<app>/<name>/<index>). The
// scheduler writes only specs it validated, but anyone with etcd access can write junk
// there, and the spec goes straight into Docker create options. So both sides read it
// through this one function: the conductor acts only on what passes, the scheduler
// replaces what does not. The spec is validated like a manifest (schema, image grammar,
// limits); the cluster policy stays the scheduler's business (it is not known here), so
// host networking and volumes' host paths are let through — the scheduler refused them
// before writing, if the policy says so.
import {
  containerSpec, DEFAULT_LIMITS, isImageDigest, jsonTextDepth, MAX_CONFIG_BYTES, MAX_CONFIGS, MAX_SECRET_BYTES, MAX_SECRETS, readSealed, validateManifest,
  type AssignedConfig, type AssignedSecret, type Assignment, type ContainerSpec, type DesiredRunState,
} from '../schemas/index.js'

/** An assignment as read back: the contract's shape (schemas/records.ts), checked. */
export type ReadAssignment = Assignment

export type AssignmentResult = { ok: true; assignment: ReadAssignment } | { ok: false; reason: string }

/** Two specs at the manifest limit (the current one and the previous, during a rollout), plus
 * the assignment's own few fields, plus the largest secrets (sealed: base64) and configs (JSON
 * text, room for escapes doubling it; the text itself is checked against MAX_CONFIG_BYTES). */
export const MAX_ASSIGNMENT_BYTES = 2 * DEFAULT_LIMITS.bytes + 8192
  + MAX_SECRETS * (Math.ceil(MAX_SECRET_BYTES / 3) * 4 + 256) + MAX_CONFIGS * (2 * MAX_CONFIG_BYTES + 256)
const MAX_DEPTH = DEFAULT_LIMITS.depth + 1
const RUN_STATES: readonly string[] = ['running', 'stopped', 'paused']
/** Spec hashes end up in a container label: keep them to what specHash() makes, roughly. */
const SPEC_HASH = /^[A-Za-z0-9]{1,64}$/

export function readAssignment(text: string): AssignmentResult {
  const bad = (reason: string): AssignmentResult => ({ ok: false, reason })
  if (text.length > MAX_ASSIGNMENT_BYTES) return bad(`${text.length} bytes, more than the ${MAX_ASSIGNMENT_BYTES} an assignment can take`)
  if (jsonTextDepth(text, MAX_DEPTH) > MAX_DEPTH) return bad(`nested deeper than ${MAX_DEPTH} levels`)
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (err) {
    return bad(`not JSON (${(err as Error).message.slice(0, 100)})`)
  }
  if (!isObject(doc)) return bad('not a JSON object')
  const { spec, specHash, revision, run, restartGeneration, constraints, linkPorts, previous, order, since, secrets, configs, imageDigest } = doc
  if (typeof specHash !== 'string' || !SPEC_HASH.test(specHash)) return bad('specHash is missing or not a hash')
  if (revision !== undefined && !isCount(revision)) return bad('revision is not a non-negative integer')
  if (run !== undefined && !RUN_STATES.includes(run as string)) return bad(`run must be one of ${RUN_STATES.join(', ')}`)
  if (restartGeneration !== undefined && !isCount(restartGeneration)) return bad('restartGeneration is not a non-negative integer')
  if (constraints !== undefined && !isStringMap(constraints)) return bad('constraints is not an object of strings')
  if (linkPorts !== undefined && !isPortMap(linkPorts)) return bad('linkPorts is not an object of port numbers')
  if (order !== undefined && order !== 'stop-first') return bad('order must be "stop-first" or absent')
  if (since !== undefined && (typeof since !== 'string' || since.length > 64 || Number.isNaN(Date.parse(since)))) return bad('since is not a time')
  if (imageDigest !== undefined && !isImageDigest(imageDigest)) return bad('imageDigest is not "sha256:" and 64 lowercase hex digits')
  const read = readSpec(spec, 'spec')
  if (typeof read === 'string') return bad(read)
  const assignment: ReadAssignment = { spec: read, specHash, revision: (revision as number | undefined) ?? 0 }
  if (previous !== undefined) {
    if (!isObject(previous) || typeof previous['specHash'] !== 'string' || !SPEC_HASH.test(previous['specHash']) || !isCount(previous['revision'])) {
      return bad('previous is not {spec, specHash, revision}')
    }
    const before = readSpec(previous['spec'], 'previous.spec')
    if (typeof before === 'string') return bad(before)
    assignment.previous = { spec: before, specHash: previous['specHash'], revision: previous['revision'] }
    const pin = previous['imageDigest']
    if (pin !== undefined && !isImageDigest(pin)) return bad('previous.imageDigest is not "sha256:" and 64 lowercase hex digits')
    if (pin !== undefined) assignment.previous.imageDigest = pin
  }
  if (order !== undefined) assignment.order = 'stop-first'
  if (since !== undefined) assignment.since = since as string
  if (run !== undefined) assignment.run = run as DesiredRunState
  if (restartGeneration !== undefined) assignment.restartGeneration = restartGeneration as number
  if (constraints !== undefined) assignment.constraints = constraints as Record<string, string>
  if (linkPorts !== undefined) assignment.linkPorts = linkPorts as Record<string, number>
  if (imageDigest !== undefined) assignment.imageDigest = imageDigest as string
  const values = readValues(read, secrets, configs)
  if (typeof values === 'string') return bad(values)
  Object.assign(assignment, values)
  return { ok: true, assignment }
}

/** The secrets and configs the assignment carries, each one its spec names: a version with a
 * sealed value (which the conductor opens) or with a text. One the spec names but the value
 * lacks reads (the conductor fails that instance's create, naming it) rather than being
 * refused here: the scheduler would replace a refused value on every pass. A reason never
 * holds a value: it is logged and lands in the instance record. */
function readValues(spec: ContainerSpec, secrets: unknown, configs: unknown): Pick<Assignment, 'secrets' | 'configs'> | string {
  const out: Pick<Assignment, 'secrets' | 'configs'> = {}
  if (secrets !== undefined) {
    if (!isObject(secrets)) return 'secrets is not an object'
    const named = spec.secrets ?? []
    const read: Record<string, AssignedSecret> = {}
    for (const [name, v] of Object.entries(secrets)) {
      if (!named.includes(name)) return `secrets/${name.slice(0, 64)} is not named by spec.secrets`
      const sealed = isObject(v) ? readSealed(v['sealed']) : undefined
      if (!isObject(v) || !isVersion(v['version']) || !sealed) return `secrets/${name} is not {version, sealed}`
      read[name] = { version: v['version'], sealed }
    }
    out.secrets = read
  }
  if (configs !== undefined) {
    if (!isObject(configs)) return 'configs is not an object'
    const named = Object.values(spec.configs ?? {})
    const read: Record<string, AssignedConfig> = {}
    for (const [name, v] of Object.entries(configs)) {
      if (!named.includes(name)) return `configs/${name.slice(0, 64)} is not named by spec.configs`
      if (!isObject(v) || !isVersion(v['version']) || typeof v['data'] !== 'string' || Buffer.byteLength(v['data']) > MAX_CONFIG_BYTES) {
        return `configs/${name} is not {version, data} of at most ${MAX_CONFIG_BYTES} bytes`
      }
      read[name] = { version: v['version'], data: v['data'] }
    }
    out.configs = read
  }
  return out
}

function isVersion(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1
}

// A spec is validated like a manifest; the reason names the field (spec/… or previous.spec/…).
function readSpec(spec: unknown, field: string): ContainerSpec | string {
  if (!isObject(spec)) return `${field} is missing or not an object`
  const checked = validateManifest(spec, { allowHostNetwork: true, allowHostPaths: ['/'] })
  if (checked.ok) return containerSpec(checked.manifest)
  const shown = checked.errors.slice(0, 3).map(e => `${field}${e.path}: ${e.message}`)
  if (checked.errors.length > 3) shown.push(`and ${checked.errors.length - 3} more`)
  return shown.join('; ')
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
}

function isPortMap(v: unknown): v is Record<string, number> {
  return isObject(v) && Object.values(v).every(p => typeof p === 'number' && Number.isInteger(p) && p >= 1 && p <= 65535)
}

function isStringMap(v: unknown): v is Record<string, string> {
  return isObject(v) && Object.values(v).every(x => typeof x === 'string')
}
