// The conductor's error catalogue (DKA_CONDUCTOR_* codes; docs/errors.md lists them).
// Third-party errors (dockerode's HTTP errors, socket errors) are translated once, in
// fromDockerError, so the rest of the conductor reasons about stable codes only.
import { DokkaaError } from '../kit/errors.js'

export type ConductorErrorCode =
  | 'DKA_CONDUCTOR_BAD_FLAG'
  | 'DKA_CONDUCTOR_DOCKER_UNAVAILABLE'
  | 'DKA_CONDUCTOR_DOCKER_NOT_FOUND'
  | 'DKA_CONDUCTOR_DOCKER_CONFLICT'
  | 'DKA_CONDUCTOR_DOCKER_ERROR'
  | 'DKA_CONDUCTOR_IMAGE_PULL_FAILED'
  /** The image is not on the host and the manifest says "pull": "never". */
  | 'DKA_CONDUCTOR_IMAGE_NOT_PRESENT'
  /** An image reference outside Docker's grammar: never handed to the engine. */
  | 'DKA_CONDUCTOR_INVALID_IMAGE'
  /** An assignment read from etcd that is not one the scheduler could have written. */
  | 'DKA_CONDUCTOR_INVALID_ASSIGNMENT'
  | 'DKA_CONDUCTOR_ETCD_UNAVAILABLE'
  /** A record read from etcd is not of the shape its key calls for (junk written straight into etcd). */
  | 'DKA_CONDUCTOR_BAD_RECORD'
  /** A secret that does not open here (no cluster key, another key) or whose files cannot be
   * written where they must be (a tmpfs): the instance's create fails with the reason. */
  | 'DKA_CONDUCTOR_SECRET_FILES'

export class ConductorError extends DokkaaError {
  constructor(override readonly code: ConductorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/** A command-line flag with a value we cannot use: main prints the message and exits 2. */
export class BadFlagError extends ConductorError {
  constructor(readonly flag: string, message: string) {
    super('DKA_CONDUCTOR_BAD_FLAG', `--${flag}: ${message}`)
  }
}

export class ImagePullError extends ConductorError {
  constructor(readonly image: string, reason: string, cause?: unknown) {
    super('DKA_CONDUCTOR_IMAGE_PULL_FAILED', `cannot pull image ${image}: ${reason}`, { cause })
  }
}

/** An image that fails parseImageReference; the message says which part is wrong. */
export class InvalidImageError extends ConductorError {
  constructor(readonly image: string, reason: string) {
    super('DKA_CONDUCTOR_INVALID_IMAGE', reason)
  }
}

/** An assignment the conductor refuses to act on; its instance is recorded failed with this message. */
export class InvalidAssignmentError extends ConductorError {
  constructor(reason: string) {
    super('DKA_CONDUCTOR_INVALID_ASSIGNMENT', `assignment rejected: ${reason}`)
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
    return new ConductorError('DKA_CONDUCTOR_DOCKER_UNAVAILABLE', `docker engine not reachable while trying to ${doing}: ${detail}`, { cause: err })
  }
  if (e?.statusCode === 404) return new ConductorError('DKA_CONDUCTOR_DOCKER_NOT_FOUND', `${doing}: ${detail}`, { cause: err })
  // 304 (already started/stopped) is reported as a conflict of state: callers treat both as done.
  if (e?.statusCode === 409 || e?.statusCode === 304) return new ConductorError('DKA_CONDUCTOR_DOCKER_CONFLICT', `${doing}: ${detail}`, { cause: err })
  return new ConductorError('DKA_CONDUCTOR_DOCKER_ERROR', `${doing}: ${detail}`, { cause: err })
}
