// Polling, for the eventually-consistent things integration tests watch: a
// container that shows up, a key a conductor writes, a port that starts answering.
import { inspect } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'

export interface WaitForOptions {
  /** Give up after this long (default 10 000 ms). */
  timeoutMs?: number
  /** Pause between attempts (default 100 ms). */
  intervalMs?: number
  /** What is awaited, for the error message: "container dummy---nginx running". */
  what?: string
}

export type Truthy<T> = Exclude<T, false | 0 | 0n | '' | null | undefined>

export class WaitForTimeoutError extends Error {
  readonly code = 'WAIT_FOR_TIMEOUT'
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly attempts: number,
    readonly lastValue: unknown,
    cause?: unknown,
  ) {
    super(
      `timed out after ${timeoutMs} ms (${attempts} attempts) waiting for ${what}; ` +
        (cause === undefined
          ? `last value: ${inspect(lastValue, { depth: 4, breakLength: Infinity })}`
          : `last attempt threw: ${cause instanceof Error ? cause.message : inspect(cause)}`),
      cause === undefined ? undefined : { cause },
    )
    this.name = 'WaitForTimeoutError'
  }
}

/**
 * Throw this from the polled function to stop waiting at once (say, the process that
 * was to print the line has exited): waitFor rethrows it instead of retrying.
 */
export class StopWaiting extends Error {
  readonly code = 'STOP_WAITING'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StopWaiting'
  }
}

/**
 * Calls `fn` until it returns (or resolves to) something truthy, and returns that.
 * A throwing attempt counts as a miss — the thing may simply not exist yet — and its
 * error is reported if the wait times out; except StopWaiting, which ends the wait. Every attempt runs to completion: an
 * attempt still running at the deadline is awaited, then the wait fails.
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 100, what = 'condition' }: WaitForOptions = {},
): Promise<Truthy<Awaited<T>>> {
  const deadline = Date.now() + timeoutMs
  let attempts = 0
  let lastValue: unknown
  let lastError: unknown
  for (;;) {
    attempts++
    try {
      const value = await fn()
      if (value) return value as Truthy<Awaited<T>>
      lastValue = value
      lastError = undefined
    } catch (err) {
      if (err instanceof StopWaiting) throw err
      lastError = err ?? new Error(String(err))
    }
    const left = deadline - Date.now()
    if (left <= 0) throw new WaitForTimeoutError(what, timeoutMs, attempts, lastValue, lastError)
    await sleep(Math.min(intervalMs, left))
  }
}
