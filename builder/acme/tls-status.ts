// /tls/status: what the builder's certificate loop last found, for an operator
// (`etcdctl get /tls/status`) — whether /config/acme is usable, and per name the
// certificate served (serial, expiry) or the last failed order and when it is tried again.
// Written only when something other than the time changed, so a quiet cluster makes no writes.
import type { Kv } from '../../kit/kv.js'
import type { KeyLayout } from '../../schemas/index.js'

export type NameStatus =
  | { state: 'valid'; serial: string; notAfter: string }
  | { state: 'failed'; error: string; failures: number; nextAttemptAt: string }

export interface TlsStatus {
  updatedAt: string
  config: { ok: true } | { ok: false; problem: string }
  names: Record<string, NameStatus>
}

/** A writer of the status that skips a write when only updatedAt differs from the last one; it resolves true when it wrote. */
export function statusWriter(kv: Kv, keys: KeyLayout): (status: TlsStatus) => Promise<boolean> {
  let last: string | undefined
  return async (status) => {
    const { updatedAt: _at, ...rest } = status
    const signature = JSON.stringify(rest)
    if (signature === last) return false
    await kv.put(keys.tlsStatus, JSON.stringify(status))
    last = signature
    return true
  }
}
