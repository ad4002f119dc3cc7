// dokkaacfg's error catalogue. Every failure a user can cause or meet has a class with
// a stable DKA_CFG_* code (docs/errors.md lists them) and an exit status; main.ts prints
// `error: <message>` (and `hint:`) for these and a stack trace only for bugs (anything else).
import { createError, DokkaaError } from '../kit/errors.js'

/** Exit statuses: scripts may rely on them. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  precondition: 3,
  provision: 4,
  api: 5,
  notFound: 6,
  auth: 7,
  /** apply --wait: an applied revision did not roll out (rolled back, paused, invalid, replaced, deleted). */
  rolloutFailed: 8,
  /** apply --wait: gave up before the rollouts ended. */
  waitTimeout: 9,
} as const

class CfgBase extends DokkaaError {
  readonly exitCode: number = EXIT.failure
  constructor(message: string, readonly hint?: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/** Any other failure dokkaacfg explains (exit 1). */
export class CfgError extends createError('DKA_CFG_FAILED', {}, CfgBase) {}

/** Bad flags, arguments or input files. */
export class UsageError extends createError('DKA_CFG_USAGE', {}, CfgError) {
  override readonly exitCode = EXIT.usage
}

/** Something the machine must have first: root, a binary, a free address. */
export class PreconditionError extends createError('DKA_CFG_PRECONDITION', {}, CfgError) {
  override readonly exitCode = EXIT.precondition
}

/** A command or step of provisioning failed. */
export class ProvisionError extends createError('DKA_CFG_PROVISION', {}, CfgError) {
  override readonly exitCode = EXIT.provision
}

/** An external command exited non-zero. */
export class CommandError extends createError('DKA_CFG_COMMAND', {}, ProvisionError) {
  constructor(readonly command: string, readonly status: number | null, readonly stderr: string) {
    super(`${command} failed (exit ${status ?? 'signal'}): ${stderr.trim().split('\n').slice(-3).join(' | ') || 'no output'}`)
  }
}

/** The builder's API or a cloud API answered with an error. */
export class ApiError extends createError('DKA_CFG_API', {}, CfgError) {
  override readonly exitCode = EXIT.api
  /** Per-field problems the API reported (a refused manifest's JSON paths). */
  details?: { path: string; message: string }[]
  constructor(message: string, readonly status?: number, hint?: string) {
    super(message, hint)
  }
}

export class NotFoundError extends createError('DKA_CFG_NOT_FOUND', {}, CfgError) {
  override readonly exitCode = EXIT.notFound
}

export class AuthError extends createError('DKA_CFG_AUTH', {}, CfgError) {
  override readonly exitCode = EXIT.auth
}

/** apply --wait: a revision it applied is not what runs: rolled back, paused, invalid, replaced or deleted. */
export class RolloutFailedError extends createError('DKA_CFG_ROLLOUT_FAILED', {}, CfgError) {
  override readonly exitCode = EXIT.rolloutFailed
}

/** apply --wait: the timeout passed first; the rollout goes on in the cluster. */
export class WaitTimeoutError extends createError('DKA_CFG_WAIT_TIMEOUT', {}, CfgError) {
  override readonly exitCode = EXIT.waitTimeout
}
