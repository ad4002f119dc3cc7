// The one place etcd3's and gRPC's errors are read. Each part keeps its own catalogue
// (conductor/errors.ts, builder/errors.ts, …) and asks here what an etcd failure was,
// so no part tests etcd3's classes or message strings itself.
import { EtcdError, EtcdLeaseInvalidError, GRPCGenericError } from 'etcd3'
import { isTooLarge } from './paged-load.js'

export type EtcdFailureKind =
  /** etcd did not answer (down, partitioned, deadline passed, circuit open). */
  | 'unavailable'
  /** The answer was larger than one gRPC message: read it in pages. */
  | 'too-large'
  /** The credentials or role do not allow it. */
  | 'permission'
  /** The revision asked for was compacted away: read again from now. */
  | 'compacted'
  /** The lease named is gone (it expired or was revoked): grant a new one. */
  | 'lease-lost'
  /** Anything else etcd said no to. */
  | 'refused'

export interface EtcdFailure { kind: EtcdFailureKind; message: string }

/** True for errors that come from etcd or the gRPC channel to it. */
export function isEtcdError(err: unknown): boolean {
  if (err instanceof GRPCGenericError || err instanceof EtcdError || err instanceof EtcdLeaseInvalidError) return true
  const e = err as { name?: string; message?: string } | undefined
  return /circuit breaker is open|Execution prevented/i.test(e?.message ?? '') || e?.name === 'BrokenCircuitError'
}

/** What kind of etcd failure `err` is, with etcd's own words. */
export function describeEtcdError(err: unknown): EtcdFailure {
  const e = err as { name?: string; message?: string } | undefined
  const message = `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`
  const text = `${e?.name ?? ''} ${e?.message ?? ''}`
  if (isTooLarge(err)) return { kind: 'too-large', message }
  if (/compacted/i.test(text)) return { kind: 'compacted', message }
  if (err instanceof EtcdLeaseInvalidError || /requested lease not found|is expired or revoked/i.test(text)) return { kind: 'lease-lost', message }
  if (/permission denied|PermissionDenied|Unauthenticated|authentication/i.test(text)) return { kind: 'permission', message }
  if (/Unavailable|DeadlineExceeded|deadline|circuit breaker|Execution prevented|ECONNREFUSED|connect|No connection/i.test(text)) return { kind: 'unavailable', message }
  return { kind: 'refused', message }
}
