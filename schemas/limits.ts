// Size limits on a manifest, checked before anything parses it deeply or stores it:
// a manifest is read by every scheduler pass and copied into every assignment, so one
// huge or absurdly nested document must not cost the cluster more than a normal one.
// The cluster policy (/config/policy "limits") may tighten them, never widen them.
import type { ManifestError } from './manifest.js'

export interface ManifestLimits {
  /** Bytes of manifest JSON. */
  bytes: number
  /** Nesting depth of objects and arrays (the manifest object itself is depth 1). */
  depth: number
  env: number
  labels: number
  services: number
  links: number
  constraints: number
  /** Entries of every other list (command, dns, extraHosts, dockerflags lists). */
  listItems: number
}

export const DEFAULT_LIMITS: Readonly<ManifestLimits> = Object.freeze({
  bytes: 64 * 1024,
  depth: 8,
  env: 256,
  labels: 128,
  services: 64,
  links: 64,
  constraints: 32,
  listItems: 256,
})

export const LIMIT_NAMES = Object.keys(DEFAULT_LIMITS) as (keyof ManifestLimits)[]

/** The defaults, tightened by whatever the policy sets lower. */
export function effectiveLimits(tighter: Partial<ManifestLimits> | undefined): ManifestLimits {
  const out = { ...DEFAULT_LIMITS }
  for (const k of LIMIT_NAMES) {
    const v = tighter?.[k]
    if (typeof v === 'number' && Number.isInteger(v) && v > 0 && v < out[k]) out[k] = v
  }
  return out
}

/**
 * The nesting depth of JSON text, scanned without parsing, stopping as soon as it passes
 * `stopAfter` — so a 5,000-level document costs one short scan, never a deep recursion.
 */
export function jsonTextDepth(text: string, stopAfter = Infinity): number {
  let depth = 0
  let max = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
      continue
    }
    if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) {
      depth++
      if (depth > max) {
        max = depth
        if (max > stopAfter) return max
      }
    } else if (c === 0x7d || c === 0x5d) depth--
  }
  return max
}

/** The nesting depth of a parsed value, iteratively, stopping once past `stopAfter`. */
export function valueDepth(value: unknown, stopAfter = Infinity): number {
  let max = 0
  const stack: [unknown, number][] = [[value, 1]]
  while (stack.length > 0) {
    const [v, d] = stack.pop()!
    if (typeof v !== 'object' || v === null) continue
    if (d > max) {
      max = d
      if (max > stopAfter) return max
    }
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1])
  }
  return max
}

const COUNTED: [keyof ManifestLimits, string, 'object' | 'array'][] = [
  ['env', 'env', 'object'], ['labels', 'labels', 'object'], ['services', 'services', 'object'],
  ['links', 'links', 'array'], ['constraints', 'constraints', 'object'],
  ['listItems', 'command', 'array'], ['listItems', 'dns', 'array'], ['listItems', 'extraHosts', 'array'],
]

/** Entry counts over the limits, each error naming the field, its count and the limit. */
export function countProblems(doc: Record<string, unknown>, limits: ManifestLimits): ManifestError[] {
  const errors: ManifestError[] = []
  for (const [limit, field, kind] of COUNTED) {
    const v = doc[field]
    if (typeof v !== 'object' || v === null) continue
    const n = kind === 'array' ? (Array.isArray(v) ? v.length : 0) : Object.keys(v).length
    if (n > limits[limit]) errors.push({ path: `/${field}`, message: `${field} has ${n} entries; the limit is ${limits[limit]} (limits.${limit})` })
  }
  const flags = doc['dockerflags']
  if (typeof flags === 'object' && flags !== null) {
    for (const [k, v] of Object.entries(flags)) {
      const n = Array.isArray(v) ? v.length : typeof v === 'object' && v !== null ? Object.keys(v).length : 0
      if (n > limits.listItems) errors.push({ path: `/dockerflags/${k}`, message: `dockerflags.${k} has ${n} entries; the limit is ${limits.listItems} (limits.listItems)` })
    }
  }
  return errors
}

/** Problems of manifest text a reader can find before parsing it: size and depth. */
export function textProblems(text: string, limits: ManifestLimits): ManifestError[] {
  const bytes = Buffer.byteLength(text, 'utf8')
  if (bytes > limits.bytes) return [{ path: '', message: `the manifest is ${bytes} bytes; the limit is ${limits.bytes} (limits.bytes)` }]
  const depth = jsonTextDepth(text, limits.depth)
  if (depth > limits.depth) return [{ path: '', message: `the manifest nests deeper than ${limits.depth} levels (limits.depth)` }]
  return []
}
