// The one error convention of every part (issue #9): each failure a user can see is a
// class with a stable code, prefixed by the part that raises it (DKA_BUILDER_…,
// DKA_CONDUCTOR_…, DKA_SCHEDULER_…, DKA_AMBASSADOR_…, DKA_CFG_…, DKA_FLAG_…), an HTTP
// status where it has one, and the error it was translated from as `cause`. Classes come
// from createError, in the style of @fastify/error; docs/errors.md lists every code once.

export interface DokkaaErrorOptions { cause?: unknown }

/** What createError stores on the class; instances read it when they are made. */
interface ErrorStatics { code?: string; statusCode?: number; defaultMessage?: string }

export class DokkaaError extends Error {
  /** A stable, part-prefixed code (DKA_<PART>_<WHAT>): what callers and clients branch on. */
  readonly code: string
  /** The HTTP status, for errors an HTTP API answers with. */
  declare readonly statusCode?: number

  constructor(message?: string, options?: DokkaaErrorOptions) {
    const statics = new.target as unknown as ErrorStatics
    super(message ?? statics.defaultMessage ?? statics.code ?? 'error', options)
    this.name = new.target.name || 'DokkaaError'
    this.code = statics.code ?? 'DKA_ERROR'
    if (statics.statusCode !== undefined) this.statusCode = statics.statusCode
  }
}

export interface CreateErrorOptions {
  /** The HTTP status of the error, where it has one. */
  statusCode?: number
  /** The message when none is given to the constructor. */
  message?: string
}

// A mixin's base must be typed `new (...args: any[])` (TypeScript's rule for mixins).
type ErrorClass = new (...args: any[]) => DokkaaError

/**
 * A class of errors with `code` (and `statusCode`, where given): `new C(message?, {cause})`.
 * `Base` (DokkaaError or a part's subclass of it, keeping its constructor) lets a part add
 * fields of its own, like the builder's `details`. The class carries `code` and
 * `statusCode` as statics too, for tables keyed by code.
 */
export function createError<B extends ErrorClass = typeof DokkaaError>(code: string, options: CreateErrorOptions = {}, Base: B = DokkaaError as unknown as B) {
  if (!/^DKA_[A-Z0-9_]+$/.test(code)) throw new TypeError(`error code "${code}" is not DKA_<PART>_<WHAT> in upper snake case`)
  const Created = class extends Base {
    static readonly code: string = code
    static readonly statusCode: number | undefined = options.statusCode
    static readonly defaultMessage: string | undefined = options.message
  }
  Object.defineProperty(Created, 'name', { value: code })
  return Created
}

/** True for an error of Dokkaa's catalogues (with the given code, if one is given). */
export function isDokkaaError(err: unknown, code?: string): err is DokkaaError {
  return err instanceof DokkaaError && (code === undefined || err.code === code)
}
