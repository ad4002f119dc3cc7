// The one error handler: translates whatever was thrown into the builder's catalogue,
// logs server faults, and replies in the shape the caller speaks — {error: {code, message,
// details}} on /api, etcd v2's {errorCode, message, cause, index} on /v2/keys.
import { EtcdError, GRPCGenericError } from 'etcd3'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import {
  BadRequestError, BuilderError, InternalError, NotFoundError, StoreUnavailableError,
} from './errors.js'
import type { Kv } from './store/kv.js'

export function toBuilderError(err: unknown): BuilderError {
  if (err instanceof BuilderError) return err
  const e = err as Partial<FastifyError> & { name?: string; message?: string }
  if (e.validation) return new BadRequestError(`${e.validationContext ?? 'request'} ${e.message ?? 'is invalid'}`, { validation: e.validation })
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new BadRequestError(e.message ?? 'bad request', undefined, e.statusCode)
  }
  // etcd3's errors (GRPC*Error, EtcdError) all mean the store did not do what was asked.
  if (err instanceof GRPCGenericError || err instanceof EtcdError) {
    return new StoreUnavailableError(`etcd: ${e.message}`, undefined, { cause: err })
  }
  return new InternalError('internal error', undefined, { cause: err })
}

/** etcd v2 error codes for the builder's codes (etcd's error.go numbering). */
const V2_CODES: Record<string, { errorCode: number; message: string }> = {
  NOT_FOUND: { errorCode: 100, message: 'Key not found' },
  FORBIDDEN: { errorCode: 107, message: 'Root is read only' },
  UNAUTHORIZED: { errorCode: 110, message: 'The request requires user authentication' },
  INVALID_MANIFEST: { errorCode: 209, message: 'Invalid field' },
  BAD_REQUEST: { errorCode: 210, message: 'Invalid POST form' },
  RATE_LIMITED: { errorCode: 300, message: 'Raft Internal Error' },
}

export function installErrorHandler(app: FastifyInstance, kv: Kv): void {
  app.setErrorHandler(async (err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const e = toBuilderError(err)
    if (e.statusCode >= 500) request.log.error({ err, code: e.code }, e.message)
    else request.log.info({ code: e.code }, e.message)
    if (e.statusCode === 401 && !request.url.startsWith('/v2/')) reply.header('www-authenticate', 'Bearer realm="dokkaa"')
    reply.code(e.statusCode)
    if (request.url.startsWith('/v2/keys')) {
      const index = await kv.revision().catch(() => 0)
      const v2 = V2_CODES[e.code] ?? { errorCode: 300, message: 'Raft Internal Error' }
      reply.header('x-etcd-index', String(index))
      if (e.statusCode === 401) reply.header('www-authenticate', 'Basic realm="dokkaa"')
      return {
        errorCode: v2.errorCode, message: v2.message, cause: e.message, index,
        ...(e.code === 'INVALID_MANIFEST' ? { errors: (e.details as { errors: unknown }).errors } : {}),
      }
    }
    return { error: { code: e.code, message: e.message, details: e.details ?? null } }
  })
  app.setNotFoundHandler(async request => {
    throw new NotFoundError(`no route ${request.method} ${request.url.split('?')[0]}`)
  })
}
