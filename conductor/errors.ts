// The conductor's error catalogue. Third-party errors (dockerode's HTTP errors, socket
// errors) are translated once, in fromDockerError, so the rest of the conductor reasons
// about stable codes only.

export type ConductorErrorCode =
  | 'BAD_FLAG'
  | 'DOCKER_UNAVAILABLE'
  | 'DOCKER_NOT_FOUND'
  | 'DOCKER_CONFLICT'
  | 'DOCKER_ERROR'
  | 'IMAGE_PULL_FAILED'
  /** An image reference outside Docker's grammar: never handed to the engine. */
  | 'INVALID_IMAGE'
  /** An assignment read from etcd that is not one the scheduler could have written. */
  | 'INVALID_ASSIGNMENT'
  | 'ETCD_UNAVAILABLE'
  /** A record read from etcd is not of the shape its key calls for (junk written straight into etcd). */
  | 'BAD_RECORD'

export class ConductorError extends Error {
  constructor(readonly code: ConductorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ConductorError'
  }
}

/** A command-line flag with a value we cannot use: main prints the message and exits 2. */
export class BadFlagError extends ConductorError {
  constructor(readonly flag: string, message: string) {
    super('BAD_FLAG', `--${flag}: ${message}`)
  }
}

export class ImagePullError extends ConductorError {
  constructor(readonly image: string, reason: string, cause?: unknown) {
    super('IMAGE_PULL_FAILED', `cannot pull image ${image}: ${reason}`, { cause })
  }
}

/** An image that fails parseImageReference; the message says which part is wrong. */
export class InvalidImageError extends ConductorError {
  constructor(readonly image: string, reason: string) {
    super('INVALID_IMAGE', reason)
  }
}

/** An assignment the conductor refuses to act on; its instance is recorded failed with this message. */
export class InvalidAssignmentError extends ConductorError {
  constructor(reason: string) {
    super('INVALID_ASSIGNMENT', `assignment rejected: ${reason}`)
  }
}

export function isCode(err: unknown, code: ConductorErrorCode): boolean {
  return err instanceof ConductorError && err.code === code
}

/** Translates whatever dockerode threw into the catalogue. */
export function fromDockerError(err: unknown, doing: string): ConductorError {
  if (err instanceof ConductorError) return err
  const e = err as { statusCode?: number; code?: string; json?: { message?: string }; message?: string } | null
  const detail = e?.json?.message ?? e?.message ?? String(err)
  if (e?.code === 'ECONNREFUSED' || e?.code === 'ENOENT' || e?.code === 'EACCES') {
    return new ConductorError('DOCKER_UNAVAILABLE', `docker engine not reachable while trying to ${doing}: ${detail}`, { cause: err })
  }
  if (e?.statusCode === 404) return new ConductorError('DOCKER_NOT_FOUND', `${doing}: ${detail}`, { cause: err })
  // 304 (already started/stopped) is reported as a conflict of state: callers treat both as done.
  if (e?.statusCode === 409 || e?.statusCode === 304) return new ConductorError('DOCKER_CONFLICT', `${doing}: ${detail}`, { cause: err })
  return new ConductorError('DOCKER_ERROR', `${doing}: ${detail}`, { cause: err })
}
