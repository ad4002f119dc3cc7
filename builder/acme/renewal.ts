// When the builder orders a certificate, pure: none yet, a renewal asked for, or the
// current one is close to its end — fewer than RENEW_BEFORE_DAYS days left, or for a
// short-lived certificate less than a third of its lifetime (Let's Encrypt's own advice:
// renew at two thirds), so a 6-day certificate is not renewed in a loop. A failed order is
// retried with a doubling delay, so a broken ACME server or DNS is not hammered.
import { backoffDelay, type BackoffPolicy } from '../../kit/backoff.js'

/** Renew when fewer than this many days remain (Let's Encrypt's 90-day certificates: at 60 days). */
export const RENEW_BEFORE_DAYS = 30

/** Failed orders of one name: 1 min doubling to 1 h. */
export const ORDER_BACKOFF: BackoffPolicy = { baseMs: 60_000, maxMs: 3_600_000 }

const DAY_MS = 86_400_000

export interface CertValidity { notBefore: string; notAfter: string }

/** Why a certificate must be ordered now, or undefined when the current one will do. */
export function renewalReason(current: CertValidity | undefined, now: number, forced: boolean): string | undefined {
  if (forced) return 'renewal requested'
  if (!current) return 'no certificate yet'
  const end = Date.parse(current.notAfter)
  const lifetime = end - Date.parse(current.notBefore)
  const window = Math.min(RENEW_BEFORE_DAYS * DAY_MS, lifetime / 3)
  if (end - now <= window) return `the certificate expires ${current.notAfter}, within ${Math.round(window / 3_600_000)} h`
  return undefined
}

/** When the current certificate becomes due (for the next wake-up). */
export function renewalDueAt(current: CertValidity): number {
  const end = Date.parse(current.notAfter)
  return end - Math.min(RENEW_BEFORE_DAYS * DAY_MS, (end - Date.parse(current.notBefore)) / 3)
}

/** After `failures` failed orders in a row (1 or more), when to try again. */
export function nextAttemptAt(failures: number, lastAttempt: number): number {
  return lastAttempt + backoffDelay(failures - 1, ORDER_BACKOFF)
}
