// The builder's error catalogue. Every failure a client can see is one of these, with a
// stable DKA_BUILDER_* code (docs/errors.md lists them); third-party errors (fastify's;
// etcd's and the etcd mirror's, as kit/ tells them apart) are translated once, in
// error-handler.ts.
import { API_ERROR_CODES, type ApiErrorListDetails, type ManifestError } from '../schemas/index.js'
import { createError, DokkaaError } from '../kit/errors.js'

export class BuilderError extends DokkaaError {
  /** Every builder error answers HTTP. */
  declare readonly statusCode: number
  readonly details: unknown
  constructor(message?: string, details?: unknown, options?: { cause?: unknown }) {
    super(message, options)
    this.details = details
  }
}

function builderError(code: string, statusCode: number, message?: string) {
  return createError(code, { statusCode, message }, BuilderError)
}

/** Missing or wrong credentials. */
export class UnauthorizedError extends builderError('DKA_BUILDER_UNAUTHORIZED', 401, 'missing or invalid credentials') {}

/** Authenticated, but the action needs the admin. */
export class ForbiddenError extends builderError('DKA_BUILDER_FORBIDDEN', 403) {}

/** Absent, or belongs to someone else (we never reveal which). */
export class NotFoundError extends builderError('DKA_BUILDER_NOT_FOUND', 404) {}

/** A manifest that fails the schema: details lists every error with its JSON path. */
export class InvalidManifestError extends builderError(API_ERROR_CODES.invalidManifest, 400) {
  constructor(readonly errors: ManifestError[]) {
    super(`invalid manifest: ${errors.map(e => `${e.path || '/'} ${e.message}`).join('; ')}`, { errors } satisfies ApiErrorListDetails)
  }
}

/** An app or manifest name (in a path) that breaks the naming rule: details lists each with the rule. */
export class InvalidNameError extends builderError(API_ERROR_CODES.invalidName, 400) {
  constructor(readonly errors: ManifestError[]) {
    super(errors.map(e => e.message).join('; '), { errors } satisfies ApiErrorListDetails)
  }
}

/**
 * A write that would put the app's owner past a quota of /config/policy. 403, as Kubernetes
 * answers an exceeded ResourceQuota: the request is understood and valid, and refused for
 * this user; details lists each quota passed.
 */
export class QuotaExceededError extends builderError(API_ERROR_CODES.quotaExceeded, 403) {
  constructor(readonly errors: ManifestError[]) {
    super(errors.map(e => e.message).join('; '), { errors } satisfies ApiErrorListDetails)
  }
}

/** A request that does not match the route's schema, or makes no sense. */
export class BadRequestError extends builderError('DKA_BUILDER_BAD_REQUEST', 400) {
  /** 400, or fastify's own 4xx (415 media type, 413 body too large) when translated from it. */
  constructor(message: string, details?: unknown, statusCode = 400) {
    super(message, details)
    Object.defineProperty(this, 'statusCode', { value: statusCode, enumerable: true })
  }
}

/** Already exists (user names). */
export class ConflictError extends builderError('DKA_BUILDER_CONFLICT', 409) {}

/** Too many wrong passwords (for the user, or from the address): retry after `retryAfter` seconds (sent as Retry-After). */
export class RateLimitedError extends builderError('DKA_BUILDER_RATE_LIMITED', 429) {
  constructor(message: string, readonly retryAfter: number) {
    super(message, { retryAfter })
  }
}

/** etcd did not answer. */
export class StoreUnavailableError extends builderError('DKA_BUILDER_STORE_UNAVAILABLE', 503) {}

/** Secrets cannot be written: the builder has no usable cluster key (the message names the file and the fix). */
export class SecretsUnavailableError extends builderError('DKA_BUILDER_SECRETS_UNAVAILABLE', 503) {}

/** The conductor that owns an instance could not be reached (logs). */
export class AgentUnavailableError extends builderError('DKA_BUILDER_AGENT_UNAVAILABLE', 502) {}

/** Anything else: a bug. */
export class InternalError extends builderError('DKA_BUILDER_INTERNAL', 500) {}

/** Every class of the catalogue: the OpenAPI document enumerates their codes. */
export const BUILDER_ERRORS = [
  UnauthorizedError, ForbiddenError, NotFoundError, InvalidManifestError, InvalidNameError, QuotaExceededError,
  BadRequestError, ConflictError, RateLimitedError, StoreUnavailableError, SecretsUnavailableError, AgentUnavailableError, InternalError,
] as const

/** Every code the builder answers with. */
export const BUILDER_CODES: readonly string[] = BUILDER_ERRORS.map(c => c.code)
