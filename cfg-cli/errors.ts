// dokkaacfg's error catalogue. Every failure a user can cause or meet has a class with
// a stable `code` and an exit status; main.ts prints `error: <message>` (and `hint:`)
// for these and a stack trace only for bugs (anything else).

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
} as const

export class CfgError extends Error {
  readonly code: string = 'E_CFG'
  readonly exitCode: number = EXIT.failure
  constructor(message: string, readonly hint?: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
  }
}

/** Bad flags, arguments or input files. */
export class UsageError extends CfgError {
  override readonly code = 'E_USAGE'
  override readonly exitCode = EXIT.usage
}

/** Something the machine must have first: root, a binary, a free address. */
export class PreconditionError extends CfgError {
  override readonly code = 'E_PRECONDITION'
  override readonly exitCode = EXIT.precondition
}

/** A command or step of provisioning failed. */
export class ProvisionError extends CfgError {
  override readonly code = 'E_PROVISION'
  override readonly exitCode = EXIT.provision
}

/** An external command exited non-zero. */
export class CommandError extends ProvisionError {
  override readonly code = 'E_COMMAND' as 'E_PROVISION'
  constructor(readonly command: string, readonly status: number | null, readonly stderr: string) {
    super(`${command} failed (exit ${status ?? 'signal'}): ${stderr.trim().split('\n').slice(-3).join(' | ') || 'no output'}`)
  }
}

/** The builder's API or a cloud API answered with an error. */
export class ApiError extends CfgError {
  override readonly code = 'E_API'
  override readonly exitCode = EXIT.api
  /** Per-field problems the API reported (a refused manifest's JSON paths). */
  details?: { path: string; message: string }[]
  constructor(message: string, readonly status?: number, hint?: string) {
    super(message, hint)
  }
}

export class NotFoundError extends CfgError {
  override readonly code = 'E_NOT_FOUND'
  override readonly exitCode = EXIT.notFound
}

export class AuthError extends CfgError {
  override readonly code = 'E_AUTH'
  override readonly exitCode = EXIT.auth
}
