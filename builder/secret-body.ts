// The value in the body of a secret or config write: the raw bytes (any content type, so
// `curl --data-binary @file` and application/octet-stream both work), or, for
// application/json, the string of {"value": "..."}. Refusals state the rule and the limit
// and never quote the body: it is a secret, and error messages are logged. Pure.
import { MAX_CONFIG_BYTES, MAX_SECRET_BYTES } from '../schemas/index.js'
import { BadRequestError } from './errors.js'

export type ValueKind = 'secret' | 'config'

export const MAX_BYTES: Record<ValueKind, number> = { secret: MAX_SECRET_BYTES, config: MAX_CONFIG_BYTES }
const LIMIT_NAME: Record<ValueKind, string> = { secret: 'MAX_SECRET_BYTES', config: 'MAX_CONFIG_BYTES' }

/**
 * The largest body read for a value: a JSON string may escape each byte as \u00XX (6
 * characters), plus the object around it. Anything larger is refused before it is read.
 */
export function bodyLimit(kind: ValueKind): number {
  return 6 * MAX_BYTES[kind] + 1024
}

export function tooLarge(kind: ValueKind, got?: number): BadRequestError {
  return new BadRequestError(`a ${kind} value may be at most ${MAX_BYTES[kind]} bytes (${LIMIT_NAME[kind]})${got === undefined ? '' : `, got ${got}`}`, undefined, 413)
}

/** application/json, or a +json type. */
export function isJson(contentType: string | undefined): boolean {
  return /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i.test(contentType ?? '')
}

/** The value's bytes, held to the kind's limit; a secret must not be empty, a config must be UTF-8 text. */
export function valueOf(kind: ValueKind, body: unknown, contentType: string | undefined): Buffer {
  let bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0)
  if (isJson(contentType)) {
    let doc: unknown
    try { doc = JSON.parse(bytes.toString('utf8')) } catch { doc = undefined }
    const value = typeof doc === 'object' && doc !== null && !Array.isArray(doc) && Object.keys(doc).length === 1 ? (doc as { value?: unknown }).value : undefined
    if (typeof value !== 'string') throw new BadRequestError(`a JSON body is {"value": "<the ${kind}>"} and nothing else; or send the value itself as application/octet-stream or text/plain`)
    bytes = Buffer.from(value, 'utf8')
  }
  if (bytes.length > MAX_BYTES[kind]) throw tooLarge(kind, bytes.length)
  if (kind === 'secret' && bytes.length === 0) throw new BadRequestError('a secret value is at least 1 byte: the body is empty')
  if (kind === 'config') {
    try { new TextDecoder('utf-8', { fatal: true }).decode(bytes) } catch { throw new BadRequestError('a config is UTF-8 text: the body is not') }
  }
  return bytes
}
