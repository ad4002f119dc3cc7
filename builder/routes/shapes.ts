// JSON Schema fragments shared by the route plugins (fastify validates with them and
// @fastify/swagger publishes them in the OpenAPI document). The replies' shapes are the
// contract's (schemas/rest-api.ts: dokkaacfg reads them); the path parameters and the
// errors each route documents are the builder's.
import { errorReplySchema, NAME_PATTERN, NAME_RULE } from '../../schemas/index.js'
import { VERBS } from '../../schemas/index.js'
import { BUILDER_CODES } from '../errors.js'

export const name = { type: 'string', pattern: NAME_PATTERN } as const
export const appParams = {
  type: 'object', required: ['app'], additionalProperties: false, properties: { app: name },
} as const
export const manifestParams = {
  type: 'object', required: ['app', 'name'], additionalProperties: false, properties: { app: name, name },
} as const
export const instanceParams = {
  type: 'object', required: ['app', 'name', 'index'], additionalProperties: false,
  properties: { app: name, name, index: { type: 'integer', minimum: 0, maximum: 999 } },
} as const
export const verb = { type: 'string', enum: [...VERBS] } as const

export const errorReply = errorReplySchema(BUILDER_CODES)

/** An error reply with what it means, for the OpenAPI document. */
export function described(description: string) {
  return { ...errorReply, description } as const
}

/** 429 from the password limiter, with Retry-After (any route that takes basic user:password). */
export const rateLimited = {
  ...described('DKA_BUILDER_RATE_LIMITED: too many wrong passwords for the user or from the client address; retry after Retry-After seconds'),
  headers: { 'retry-after': { type: 'integer', description: 'seconds until a password check is allowed again' } },
} as const

/** Errors any authenticated route may answer. */
export const commonErrors = {
  401: described('DKA_BUILDER_UNAUTHORIZED: missing or wrong credentials, or a revoked or expired token'),
  429: rateLimited,
} as const

/** Responses of a route on apps: its own, plus 400 (DKA_BUILDER_INVALID_NAME, DKA_BUILDER_BAD_REQUEST), 401, 404 and 429. */
export function withErrors<T extends Record<number, unknown>>(ok: T): T & Record<number, unknown> {
  return {
    ...ok,
    400: described(`DKA_BUILDER_INVALID_NAME: an app or name in the path breaks the naming rule (${NAME_RULE}); DKA_BUILDER_BAD_REQUEST: the request fails its schema; DKA_BUILDER_INVALID_MANIFEST (writes): details.errors lists every {path, message}`),
    404: described('DKA_BUILDER_NOT_FOUND: no such app, manifest or instance — or someone else\'s'),
    ...commonErrors,
  }
}

/** Responses of a route that writes a manifest: withErrors plus 403 (quota) and 413 (body too large). */
export function withWriteErrors<T extends Record<number, unknown>>(ok: T): T & Record<number, unknown> {
  return {
    ...withErrors(ok),
    403: described('DKA_BUILDER_QUOTA_EXCEEDED: the write would put the app\'s owner past a quota of /config/policy; details.errors names each quota'),
    413: described('DKA_BUILDER_BAD_REQUEST: the body is larger than the builder accepts (a manifest may be at most limits.bytes)'),
  }
}
