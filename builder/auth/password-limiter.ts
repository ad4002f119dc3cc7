// One limit on password guessing, shared by every place a password is checked (POST
// /login, HTTP basic user:password on any route, /session): wrong passwords are counted
// per user name and per client address in a sliding window, and once either count reaches
// the limit, checks for that user or from that address are refused — without running
// scrypt — until the oldest failure leaves the window. Before, basic auth on the API took
// unlimited guesses even while /login answered 429. Pure: the clock is passed in.
//
// A check in flight counts as a failure until it ends, so a burst of parallel guesses
// cannot overrun the limit. The per-user count lets anyone lock a user's *password* out
// for a window; tokens (bearer, basic user:token, the session cookie) are not affected.

export interface PasswordLimit {
  /** Wrong passwords allowed per user and per address within the window. */
  max: number
  windowMs: number
}

export const DEFAULT_PASSWORD_LIMIT: Readonly<PasswordLimit> = Object.freeze({ max: 10, windowMs: 60_000 })

export type PasswordVerdict =
  | { ok: true; /** Call once the check is done. */ done(correct: boolean): void }
  | { ok: false; by: 'user' | 'address'; retryAfterMs: number }

/** Keys kept at most: names are chosen by whoever asks, so the table must not grow without bound. */
const MAX_KEYS = 20_000

export class PasswordLimiter {
  private readonly failures = new Map<string, number[]>()
  private readonly pending = new Map<string, number>()

  constructor(private readonly limit: PasswordLimit = DEFAULT_PASSWORD_LIMIT, private readonly clock: () => number = Date.now) {}

  /** May this password check run? If so, report its outcome through done(). */
  begin(user: string, address: string): PasswordVerdict {
    const now = this.clock()
    const keys = [['user', `u:${user.slice(0, 128)}`], ['address', `a:${address}`]] as const
    for (const [by, key] of keys) {
      const times = this.recent(key, now)
      if (times.length + (this.pending.get(key) ?? 0) >= this.limit.max) {
        const oldest = times[0] ?? now
        return { ok: false, by, retryAfterMs: Math.max(1000, oldest + this.limit.windowMs - now) }
      }
    }
    for (const [, key] of keys) this.pending.set(key, (this.pending.get(key) ?? 0) + 1)
    let ended = false
    return {
      ok: true,
      done: correct => {
        if (ended) return
        ended = true
        for (const [, key] of keys) {
          const n = (this.pending.get(key) ?? 1) - 1
          if (n > 0) this.pending.set(key, n)
          else this.pending.delete(key)
          if (!correct) this.fail(key, this.clock())
        }
      },
    }
  }

  private recent(key: string, now: number): number[] {
    const times = this.failures.get(key)
    if (!times) return []
    while (times.length > 0 && times[0]! <= now - this.limit.windowMs) times.shift()
    if (times.length === 0) this.failures.delete(key)
    return times
  }

  private fail(key: string, now: number): void {
    const times = this.recent(key, now)
    times.push(now)
    // Only the last `max` failures matter for the limit.
    if (times.length > this.limit.max) times.splice(0, times.length - this.limit.max)
    this.failures.delete(key)
    this.failures.set(key, times)
    if (this.failures.size > MAX_KEYS) this.evict(now)
  }

  /** Drops expired keys, then (a flood of names) the least recently failed ones. */
  private evict(now: number): void {
    for (const key of [...this.failures.keys()]) this.recent(key, now)
    for (const key of this.failures.keys()) {
      if (this.failures.size <= MAX_KEYS * 0.9) break
      this.failures.delete(key)
    }
  }
}
