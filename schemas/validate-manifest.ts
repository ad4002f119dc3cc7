// Turns untrusted manifest text into a normalized manifest or a list of errors,
// each with the JSON pointer of the offending field and a sentence that says how to fix it.
import { Ajv, type ErrorObject } from 'ajv'
import * as ajvFormats from 'ajv-formats'
import {
  DOCKERFLAGS_ALLOWED, DOCKERFLAGS_FORBIDDEN, HEALTH_FIELDS, manifestSchema, UPDATE_FIELDS, VOLUME_FIELDS,
} from './manifest-schema.js'
import { volumeProblems, resolveVolumes } from './volumes.js'
import { secretAndConfigProblems } from './secrets.js'
import { parseDuration } from './duration.js'
import { healthProblems } from './health.js'
import type {
  Manifest, ManifestError, NormalizedManifest, ServiceSpec,
} from './manifest.js'
import type { ClusterPolicy } from './policy.js'
import { countProblems, effectiveLimits, textProblems, valueDepth } from './limits.js'
import { parseImageReference } from './image-reference.js'

// ajv-formats is CommonJS with a default export; under NodeNext it arrives wrapped.
type AddFormats = (ajv: Ajv, formats: string[]) => Ajv
const addFormats = ((ajvFormats as unknown as { default: { default?: AddFormats } & AddFormats }).default.default
  ?? (ajvFormats as unknown as { default: AddFormats }).default)

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true })
addFormats(ajv, ['ipv4'])
const check = ajv.compile<Manifest>(manifestSchema)

const TOP_LEVEL_FIELDS = Object.keys(manifestSchema.properties)

export type ValidationResult =
  | { ok: true; manifest: NormalizedManifest }
  | { ok: false; errors: ManifestError[] }

/** Validates manifest text as read from etcd or an HTTP body. */
export function parseManifest(text: string, policy: ClusterPolicy = {}): ValidationResult {
  // Size and depth first: nothing parses a document the limits already refuse.
  const tooBig = textProblems(text, effectiveLimits(policy.limits))
  if (tooBig.length > 0) return { ok: false, errors: tooBig }
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (err) {
    return { ok: false, errors: [{ path: '', message: `invalid JSON: ${(err as Error).message}` }] }
  }
  return validateManifest(doc, policy)
}

/** Validates an already-parsed manifest. The input is not modified. */
export function validateManifest(doc: unknown, policy: ClusterPolicy = {}): ValidationResult {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return { ok: false, errors: [{ path: '', message: 'a manifest must be a JSON object like {"image": "nginx", "scale": 1}' }] }
  }
  const limits = effectiveLimits(policy.limits)
  // Depth before anything recursive (structuredClone, ajv) walks the document.
  if (valueDepth(doc, limits.depth) > limits.depth) {
    return { ok: false, errors: [{ path: '', message: `the manifest nests deeper than ${limits.depth} levels (limits.depth)` }] }
  }
  const bytes = Buffer.byteLength(JSON.stringify(doc), 'utf8')
  if (bytes > limits.bytes) return { ok: false, errors: [{ path: '', message: `the manifest is ${bytes} bytes; the limit is ${limits.bytes} (limits.bytes)` }] }
  const counts = countProblems(doc as Record<string, unknown>, limits)
  if (counts.length > 0) return { ok: false, errors: counts }
  const copy = structuredClone(doc) as Record<string, unknown>
  const errors = forbiddenFlags(copy)
  if (!check(copy)) errors.push(...dedupe(explained(check.errors ?? []).map(describe)))
  const manifest = copy as unknown as Manifest
  if (typeof manifest.image === 'string' && !errors.some(e => e.path === '/image')) {
    const image = parseImageReference(manifest.image)
    if (!image.ok) errors.push({ path: '/image', message: image.message })
  }
  if (manifest.dockerflags?.NetworkMode === 'host' && !policy.allowHostNetwork) {
    errors.push({ path: '/dockerflags/NetworkMode', message: 'host networking is not allowed by the cluster policy (allowHostNetwork)' })
  }
  if (errors.length > 0) return { ok: false, errors }
  const normalized = normalize(manifest)
  errors.push(...healthProblems(normalized.health, normalized.services, normalized.dockerflags as Record<string, unknown> | undefined))
  errors.push(...stopAndUpdateProblems(normalized))
  for (const [name, svc] of Object.entries(normalized.services)) {
    if (svc.tls !== undefined && svc.role !== 'web') errors.push({ path: `/services/${name}/tls`, message: '"tls": "auto" needs "role": "web": the web router terminates TLS for web services only' })
  }
  errors.push(...volumeProblems(normalized.volumes, normalized.dockerflags?.Tmpfs, policy.allowHostPaths))
  const mounted = [...resolveVolumes(normalized).map(v => v.path), ...Object.keys(normalized.dockerflags?.Tmpfs ?? {})]
  errors.push(...secretAndConfigProblems(normalized.configs, mounted))
  if (errors.length > 0) return { ok: false, errors }
  return { ok: true, manifest: normalized }
}

const HOUR_MS = 3_600_000

// Bounds the schema's duration pattern cannot say, and one place for each stop setting.
function stopAndUpdateProblems(m: NormalizedManifest): ManifestError[] {
  const errors: ManifestError[] = []
  const long = (path: string, text: string | undefined) => {
    if (text !== undefined && (parseDuration(text) ?? 0) > HOUR_MS) errors.push({ path, message: 'at most 1h' })
  }
  long('/stopGracePeriod', m.stopGracePeriod)
  long('/update/delay', m.update?.delay)
  long('/update/monitor', m.update?.monitor)
  long('/health/startPeriod', m.health?.startPeriod)
  if (m.stopSignal !== undefined && m.dockerflags?.StopSignal !== undefined) {
    errors.push({ path: '/dockerflags/StopSignal', message: 'give the stop signal once: use stopSignal and drop dockerflags.StopSignal' })
  }
  if (m.stopGracePeriod !== undefined && m.dockerflags?.StopTimeout !== undefined) {
    errors.push({ path: '/dockerflags/StopTimeout', message: 'give the grace period once: use stopGracePeriod and drop dockerflags.StopTimeout' })
  }
  return errors
}

function normalize(m: Manifest): NormalizedManifest {
  const services: Record<string, ServiceSpec> = {}
  for (const [name, svc] of Object.entries(m.services ?? {})) {
    services[name] = typeof svc === 'number' ? { port: svc } : { ...svc }
  }
  return { ...m, scale: m.scale ?? 1, restart: m.restart ?? 'always', services }
}

// Forbidden dockerflags get a reason of their own instead of a bare "unknown field".
function forbiddenFlags(doc: Record<string, unknown>): ManifestError[] {
  const flags = doc['dockerflags']
  if (typeof flags !== 'object' || flags === null) return []
  const errors: ManifestError[] = []
  for (const key of Object.keys(flags)) {
    const reason = DOCKERFLAGS_FORBIDDEN[key]
    if (reason) {
      errors.push({ path: `/dockerflags/${key}`, message: `${reason}; allowed dockerflags: ${DOCKERFLAGS_ALLOWED.join(', ')}` })
      delete (flags as Record<string, unknown>)[key]
    }
  }
  return errors
}

function describe(e: ErrorObject): ManifestError {
  const path = e.instancePath
  switch (e.keyword) {
    case 'additionalProperty':
    case 'additionalProperties': {
      const field = (e.params as { additionalProperty: string }).additionalProperty
      const allowed = path === '' ? TOP_LEVEL_FIELDS
        : path === '/dockerflags' ? [...DOCKERFLAGS_ALLOWED]
        : path.startsWith('/services/') ? ['port', 'protocol', 'role', 'tls']
        : path === '/resources' ? ['memory', 'cpus']
        : path === '/health' ? [...HEALTH_FIELDS]
        : path === '/update' ? [...UPDATE_FIELDS]
        : path.startsWith('/volumes/') ? [...VOLUME_FIELDS]
        : path === '/health/http' ? ['path', 'port'] : []
      return { path: `${path}/${field}`, message: `unknown field "${field}"${allowed.length ? `; allowed: ${allowed.join(', ')}` : ''}` }
    }
    case 'required':
      return { path: `${path}/${(e.params as { missingProperty: string }).missingProperty}`, message: 'is required' }
    case 'propertyNames': {
      const name = (e.params as { propertyName: string }).propertyName
      return { path: `${path}/${name}`, message: nameRule(path, name) }
    }
    case 'pattern':
      return { path, message: patternRule(path) }
    case 'anyOf':
      return { path, message: anyOfRule(path) }
    case 'enum':
      if (/^\/services\/[^/]+\/tls$/.test(path)) return { path, message: '"tls" is "auto" (HTTPS with a certificate obtained over ACME), or left out for plain HTTP' }
      return { path, message: e.message ?? 'is invalid' }
    default:
      return { path, message: e.message ?? 'is invalid' }
  }
}

function nameRule(path: string, name: string): string {
  if (path === '/services') return `service name "${name}" is not a DNS label: use lowercase letters, digits and '-', at most 63, starting and ending with a letter or digit`
  if (path === '/env') return `environment variable name "${name}" must match [A-Za-z_][A-Za-z0-9_]*`
  if (path === '/labels') return `label "${name}" uses the reserved prefix io.dokkaa.`
  if (path === '/volumes') return `volume name "${name}" is not a DNS label of at most 30 characters: use lowercase letters, digits and '-'`
  if (path === '/configs') return `config path "${name.slice(0, 80)}" is longer than 1024 characters`
  return `name "${name}" is not allowed`
}

function patternRule(path: string): string {
  if (path.startsWith('/links/')) return 'a link is a service name ("nginx") or service.app ("nginx.other"), lowercase DNS labels'
  if (path === '/resources/memory') return 'memory is a size like "512m", "1g" or a number of bytes'
  if (path === '/image') return 'image must be a Docker image reference without spaces, like "nginx:1.25"'
  if (path === '/hostname') return 'hostname must be a DNS label (lowercase letters, digits, -)'
  if (path.startsWith('/extraHosts/')) return 'an extra host is "name:ip", like "db:10.0.0.5"'
  if (/^\/(health\/(interval|timeout|startPeriod)|update\/(delay|monitor)|stopGracePeriod)$/.test(path)) return 'a duration like "5s", "500ms" or "1m30s"'
  if (path === '/health/http' || path === '/health/http/path') return 'an http check path starts with "/" and has no spaces'
  if (path === '/stopSignal') return 'a signal name like "SIGTERM" or "SIGQUIT", or its number'
  if (/^\/volumes\/[^/]+(\/(path|hostPath))?$/.test(path)) return 'an absolute path, like "/var/lib/app"'
  return 'has an invalid format'
}

function anyOfRule(path: string): string {
  if (path === '/command') return 'command must be a string or a non-empty array of strings'
  if (path.startsWith('/services/')) return 'a service is a port number (1-65535) or {"port": 80, "protocol": "tcp", "role": "web"}'
  if (path === '/dockerflags/Entrypoint') return 'Entrypoint must be a string or an array of strings'
  if (path === '/health/http') return 'an http check is a path ("/healthz") or {"path": "/ready", "port": "web"}'
  if (path === '/health/tcp' || path === '/health/http/port') return 'a port to check is a service name ("web") or its port number (80)'
  if (/^\/volumes\/[^/]+$/.test(path)) return 'a volume is a path in the container ("/var/lib/app") or {"path": "/data", "hostPath": "/srv/data", "readOnly": true}'
  return 'has an invalid value'
}

// ajv reports every failed anyOf branch and the pattern behind a propertyNames failure.
// A branch whose type matched failed for a precise reason (an unknown field, a port out
// of range): report that reason instead of the anyOf summary; otherwise the summary says it.
function explained(errors: ErrorObject[]): ErrorObject[] {
  const inBranch = (e: ErrorObject) => /\/anyOf\/\d+\//.test(e.schemaPath)
  const precise = errors.filter(e => inBranch(e) && e.keyword !== 'type' && e.keyword !== 'minItems' && !isPortNumberBranch(e))
  const explainedPaths = precise.map(e => e.instancePath)
  return errors.filter(e => {
    if (e.schemaPath.includes('/propertyNames/')) return false
    if (inBranch(e)) return precise.includes(e)
    if (e.keyword === 'anyOf') return !explainedPaths.some(p => p === e.instancePath || p.startsWith(e.instancePath + '/'))
    return true
  })
}

// A bare port that is out of range fails the number branch; the summary explains it better.
function isPortNumberBranch(e: ErrorObject): boolean {
  return /\/anyOf\/0\//.test(e.schemaPath) && (e.keyword === 'minimum' || e.keyword === 'maximum')
}

function dedupe(errors: ManifestError[]): ManifestError[] {
  const seen = new Set<string>()
  return errors.filter(e => {
    const key = `${e.path}\u0000${e.message}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}
