// The naming rules every entry point shares. App and manifest names become etcd path
// segments, Docker container names (`<app>---<name>[---<i>]`) and DNS labels
// (`<service>.<app>.dokkaa.local`), so one rule, checked here and only here, decides
// what a name may be — the builder, the v2 keys API, dokkaacfg, the scheduler and the
// ambassador all call these functions.
import type { ManifestError } from './manifest.js'

/** A lowercase DNS label (RFC 1123): service and link names become DNS names. */
export const DNS_LABEL = '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$'
/**
 * App and manifest names: DNS labels without "--". Container names join app, name and
 * index with "---", so a name holding "--" could make two apps' containers collide
 * (app "a---b" name "c" and app "a" name "b---c").
 */
export const NAME_PATTERN = '^(?!.*--)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$'
/** Host ids: the machine's hostname by default, so case and dots are allowed. */
export const HOST_ID_PATTERN = '^[A-Za-z0-9]([-A-Za-z0-9_.]{0,62})$'

const DNS_LABEL_RE = new RegExp(DNS_LABEL)
const NAME_RE = new RegExp(NAME_PATTERN)
const HOST_ID_RE = new RegExp(HOST_ID_PATTERN)

export const NAME_RULE = 'a lowercase DNS label: 1-63 letters a-z, digits and "-", starting and ending with a letter or digit, no "--"'

export function isDnsLabel(s: unknown): s is string {
  return typeof s === 'string' && DNS_LABEL_RE.test(s)
}

/** True for a valid app or manifest name. */
export function isName(s: unknown): s is string {
  return typeof s === 'string' && NAME_RE.test(s)
}

export function isHostId(s: unknown): s is string {
  return typeof s === 'string' && HOST_ID_RE.test(s)
}

/** Manifest names the REST API's routes take for themselves: /apps/<app>/secrets is the
 * app's secrets, so a manifest of that name could never be reached (and PUT
 * /apps/<app>/secrets/manifest would store a secret named "manifest"). */
export const RESERVED_MANIFEST_NAMES: readonly string[] = ['volumes', 'secrets', 'configs']

/** Why `value` is not a valid app/name, in words that name the field and the fix; undefined when it is. */
export function nameProblem(field: 'app' | 'name', value: unknown): ManifestError | undefined {
  if (field === 'name' && RESERVED_MANIFEST_NAMES.includes(value as string)) {
    return { path: '/name', message: `name "${value as string}" is reserved: /apps/<app>/${value as string} is the app's ${value as string} in the API; pick another name (for example "${value as string}-app")` }
  }
  if (isName(value)) return undefined
  const shown = typeof value === 'string' ? JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value) : String(value)
  return { path: `/${field}`, message: `${field} ${shown} is not allowed: use ${NAME_RULE} (for example "web-2")` }
}

/** Both problems of an app/name pair (empty when both are valid). */
export function appRefProblems(app: unknown, name: unknown): ManifestError[] {
  return [nameProblem('app', app), nameProblem('name', name)].filter((e): e is ManifestError => e !== undefined)
}
