// The body of a registry login (PUT /api/v1/registries/:host): JSON {username, password},
// read from the raw bytes here rather than by fastify's JSON parser, whose error quotes
// the text it failed on — the password. Refusals state the field and the rule and never
// quote the body (error messages are logged). Pure.
import {
  MAX_REGISTRY_PASSWORD_BYTES, MAX_REGISTRY_USERNAME, registryUsernameProblem, type ApiRegistryLogin,
} from '../schemas/index.js'
import { BadRequestError } from './errors.js'
import { isJson } from './secret-body.js'

/**
 * The largest body read: a JSON string may escape each byte as \u00XX (6 characters), for
 * the password and the username (up to 4 bytes a character), plus the object around them.
 * Anything larger is refused before it is read.
 */
export const REGISTRY_BODY_LIMIT = 6 * (MAX_REGISTRY_PASSWORD_BYTES + 4 * MAX_REGISTRY_USERNAME) + 1024

export function passwordTooLarge(got?: number): BadRequestError {
  return new BadRequestError(`a registry password may be at most ${MAX_REGISTRY_PASSWORD_BYTES} bytes (MAX_REGISTRY_PASSWORD_BYTES)${got === undefined ? '' : `, got ${got}`}`, undefined, 413)
}

const SHAPE = 'the body is JSON {"username": "<user>", "password": "<password or token>"} and nothing else'

/** The login in the body, checked: a username by the contract's rule, a password of 1 to MAX_REGISTRY_PASSWORD_BYTES bytes. */
export function registryLoginOf(body: unknown, contentType: string | undefined): ApiRegistryLogin {
  if (!isJson(contentType)) throw new BadRequestError(`send application/json: ${SHAPE}`, undefined, 415)
  let doc: unknown
  try { doc = JSON.parse((Buffer.isBuffer(body) ? body : Buffer.alloc(0)).toString('utf8')) } catch { doc = undefined }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new BadRequestError(SHAPE)
  const extra = Object.keys(doc).filter(k => k !== 'username' && k !== 'password')
  // Only the field names of an extra property are named: they are the sender's words, not the password.
  if (extra.length > 0) throw new BadRequestError(`${SHAPE}: unknown field ${JSON.stringify(extra[0]!.slice(0, 40))}`)
  const { username, password } = doc as { username?: unknown; password?: unknown }
  const userProblem = registryUsernameProblem(username)
  if (userProblem) throw new BadRequestError(`username: ${userProblem}`)
  if (typeof password !== 'string') throw new BadRequestError(`password: a string is required (${SHAPE})`)
  const bytes = Buffer.byteLength(password, 'utf8')
  if (bytes === 0) throw new BadRequestError(`password: at least 1 byte, at most ${MAX_REGISTRY_PASSWORD_BYTES} (MAX_REGISTRY_PASSWORD_BYTES): it is empty`)
  if (bytes > MAX_REGISTRY_PASSWORD_BYTES) throw passwordTooLarge(bytes)
  return { username: username as string, password }
}
