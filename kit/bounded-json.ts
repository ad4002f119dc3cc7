// Reads JSON that someone else wrote into etcd — another component, an operator with
// etcdctl, or an attacker with write access — without trusting its size or shape:
// too large or too deeply nested text is refused before JSON.parse sees it (a 5,000-level
// value parses, but every recursive walk after it — structuredClone, JSON.stringify,
// a response serializer — overflows the stack), and nothing here ever throws.
import { jsonTextDepth } from '../schemas/index.js'

export interface JsonBounds {
  /** Largest text accepted, in UTF-16 code units (cheap to check; bytes are at most 3×). */
  chars: number
  /** Deepest nesting of objects and arrays accepted. */
  depth: number
}

/** Records the Dokkaa parts write are a few levels deep and a few KiB; this is generous. */
export const RECORD_BOUNDS: Readonly<JsonBounds> = Object.freeze({ chars: 1024 * 1024, depth: 16 })

/** The parsed value, or undefined for text that is not JSON or passes the bounds. */
export function parseBoundedJson(text: string | undefined, bounds: JsonBounds = RECORD_BOUNDS): unknown {
  if (typeof text !== 'string' || text.length > bounds.chars) return undefined
  if (jsonTextDepth(text, bounds.depth) > bounds.depth) return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

/** A plain JSON object (not an array, not null) within the bounds, or undefined. */
export function parseBoundedObject(text: string | undefined, bounds: JsonBounds = RECORD_BOUNDS): Record<string, unknown> | undefined {
  const v = parseBoundedJson(text, bounds)
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : undefined
}
