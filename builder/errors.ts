// The builder's error catalogue. Every failure a client can see is one of these, with a
// stable `code`; third-party errors (fastify's; etcd's and the etcd mirror's, as kit/ tells
// them apart) are translated once, in error-handler.ts.
import type { ManifestError } from '../schemas/index.js'

export abstract class BuilderError extends Error {
  abstract readonly code: string
  abstract readonly statusCode: number
  readonly details: unknown
  constructor(message: string, details?: unknown, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.details = details
  }
}

/** Missing or wrong credentials. */
export class UnauthorizedError extends BuilderError {
  readonly code = 'UNAUTHORIZED'
  readonly statusCode = 401
  constructor(message = 'missing or invalid credentials') { super(message) }
}

/** Authenticated, but the action needs the admin. */
export class ForbiddenError extends BuilderError {
  readonly code = 'FORBIDDEN'
  readonly statusCode = 403
}

/** Absent, or belongs to someone else (we never reveal which). */
export class NotFoundError extends BuilderError {
  readonly code = 'NOT_FOUND'
  readonly statusCode = 404
}

/** A manifest that fails the schema: details lists every error with its JSON path. */
export class InvalidManifestError extends BuilderError {
  readonly code = 'INVALID_MANIFEST'
  readonly statusCode = 400
  constructor(readonly errors: ManifestError[]) {
    super(`invalid manifest: ${errors.map(e => `${e.path || '/'} ${e.message}`).join('; ')}`, { errors })
  }
}

/** An app or manifest name (in a path) that breaks the naming rule: details lists each with the rule. */
export class InvalidNameError extends BuilderError {
  readonly code = 'INVALID_NAME'
  readonly statusCode = 400
  constructor(readonly errors: ManifestError[]) {
    super(errors.map(e => e.message).join('; '), { errors })
  }
}

/**
 * A write that would put the app's owner past a quota of /config/policy. 403, as Kubernetes
 * answers an exceeded ResourceQuota: the request is understood and valid, and refused for
 * this user; details lists each quota passed.
 */
export class QuotaExceededError extends BuilderError {
  readonly code = 'QUOTA_EXCEEDED'
  readonly statusCode = 403
  constructor(readonly errors: ManifestError[]) {
    super(errors.map(e => e.message).join('; '), { errors })
  }
}

/** A request that does not match the route's schema, or makes no sense. */
export class BadRequestError extends BuilderError {
  readonly code = 'BAD_REQUEST'
  /** 400, or fastify's own 4xx (415 media type, 413 body too large) when translated from it. */
  constructor(message: string, details?: unknown, readonly statusCode = 400) { super(message, details) }
}

/** Already exists (user names). */
export class ConflictError extends BuilderError {
  readonly code = 'CONFLICT'
  readonly statusCode = 409
}

/** Too many wrong passwords (for the user, or from the address): retry after `retryAfter` seconds (sent as Retry-After). */
export class RateLimitedError extends BuilderError {
  readonly code = 'RATE_LIMITED'
  readonly statusCode = 429
  constructor(message: string, readonly retryAfter: number) {
    super(message, { retryAfter })
  }
}

/** etcd did not answer. */
export class StoreUnavailableError extends BuilderError {
  readonly code = 'STORE_UNAVAILABLE'
  readonly statusCode = 503
}

/** The conductor that owns an instance could not be reached (logs). */
export class AgentUnavailableError extends BuilderError {
  readonly code = 'AGENT_UNAVAILABLE'
  readonly statusCode = 502
}

/** Anything else: a bug. */
export class InternalError extends BuilderError {
  readonly code = 'INTERNAL'
  readonly statusCode = 500
}
