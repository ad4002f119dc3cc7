// The one error handler: translates whatever was thrown into the builder's catalogue,
// logs server faults, and replies in the shape the caller speaks — {error: {code, message,
// details}} on /api, etcd v2's {errorCode, message, cause, index} on /v2/keys.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { DEFAULT_LIMITS, type ApiErrorBody } from '../schemas/index.js'
import { describeEtcdError, isEtcdError } from '../kit/etcd-errors.js'
import type { Kv } from '../kit/kv.js'
import { MirrorUnavailableError } from '../kit/mirror.js'
import {
  BadRequestError, BuilderError, ForbiddenError, InternalError, InvalidManifestError, InvalidNameError, NotFoundError,
  QuotaExceededError, RateLimitedError, StoreUnavailableError, UnauthorizedError,
} from './errors.js'

/** fastify's own 4xx errors, in words that name the limit or the fix. */
const FASTIFY_MESSAGES: Record<string, (e: FastifyError) => string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () => `the request body is too large: a manifest may be at most ${DEFAULT_LIMITS.bytes} bytes (limits.bytes), and the builder reads no body larger than ${4 * DEFAULT_LIMITS.bytes} bytes`,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: e => `${e.message}; send application/json, text/plain (manifest text) or application/x-www-form-urlencoded (v2 value=)`,
  FST_ERR_BAD_URL: () => 'the path is not a valid URL: fix its percent-encoding',
  FST_ERR_MAX_PARAM_LENGTH: () => 'a path segment is too long: app and manifest names are at most 63 characters',
}

export function toBuilderError(err: unknown): BuilderError {
  if (err instanceof BuilderError) return err
  const e = err as Partial<FastifyError> & { name?: string; message?: string }
  if (e.validation) return new BadRequestError(`${e.validationContext ?? 'request'} ${e.message ?? 'is invalid'}`, { validation: e.validation })
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const explain = e.code ? FASTIFY_MESSAGES[e.code] : undefined
    return new BadRequestError(explain ? explain(e as FastifyError) : e.message ?? 'bad request', undefined, e.statusCode)
  }
  // Whatever etcd failed with (kit/etcd-errors.ts tells), the store did not do what was asked.
  if (isEtcdError(err)) {
    const { kind, message } = describeEtcdError(err)
    return new StoreUnavailableError(`etcd (${kind}): ${message}`, undefined, { cause: err })
  }
  // The watched copy could not promise a write is in it (the watch lags, or the builder is stopping).
  if (err instanceof MirrorUnavailableError) return new StoreUnavailableError(err.message, undefined, { cause: err })
  return new InternalError('internal error', undefined, { cause: err })
}

/** etcd v2 error codes for the builder's codes (etcd's error.go numbering). */
const V2_CODES: Record<string, { errorCode: number; message: string }> = {
  [NotFoundError.code]: { errorCode: 100, message: 'Key not found' },
  [ForbiddenError.code]: { errorCode: 107, message: 'Root is read only' },
  [UnauthorizedError.code]: { errorCode: 110, message: 'The request requires user authentication' },
  [InvalidManifestError.code]: { errorCode: 209, message: 'Invalid field' },
  [InvalidNameError.code]: { errorCode: 209, message: 'Invalid field' },
  // etcd v2 has no quotas; "Invalid field" (with the quota in cause and errors) is the nearest.
  [QuotaExceededError.code]: { errorCode: 209, message: 'Invalid field' },
  [BadRequestError.code]: { errorCode: 210, message: 'Invalid POST form' },
  [RateLimitedError.code]: { errorCode: 300, message: 'Raft Internal Error' },
}

/** The errors whose details list {path, message}: v2 replies carry them as `errors`. */
const WITH_ERRORS = [InvalidManifestError.code, InvalidNameError.code, QuotaExceededError.code]

/** Sets the status and headers for an error and returns the body, in the shape the caller speaks. */
export function errorReply(kv: Kv) {
  return async (err: unknown, request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const e = toBuilderError(err)
    if (e.statusCode >= 500) request.log.error({ err, code: e.code }, e.message)
    else request.log.info({ code: e.code }, e.message)
    if (e.statusCode === 401 && !request.url.startsWith('/v2/')) reply.header('www-authenticate', 'Bearer realm="dokkaa"')
    if (e instanceof RateLimitedError) reply.header('retry-after', String(e.retryAfter))
    reply.code(e.statusCode)
    if (request.url.startsWith('/v2/keys')) {
      const index = await kv.revision().catch(() => 0)
      const v2 = V2_CODES[e.code] ?? { errorCode: 300, message: 'Raft Internal Error' }
      reply.header('x-etcd-index', String(index))
      if (e.statusCode === 401) reply.header('www-authenticate', 'Basic realm="dokkaa"')
      return {
        errorCode: v2.errorCode, message: v2.message, cause: e.message, index,
        ...(WITH_ERRORS.includes(e.code) ? { errors: (e.details as { errors: unknown }).errors } : {}),
      }
    }
    return { error: { code: e.code, message: e.message, details: e.details ?? null } } satisfies ApiErrorBody
  }
}

export function installErrorHandler(app: FastifyInstance, kv: Kv): void {
  app.setErrorHandler(errorReply(kv))
  app.setNotFoundHandler(async request => {
    throw new NotFoundError(`no route ${request.method} ${request.url.split('?')[0]}`)
  })
}
