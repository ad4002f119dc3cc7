// The scheduler's error catalogue. etcd3's errors are translated once, in fromEtcdError,
// where the driver talks to etcd (what the failure was comes from kit/etcd-errors.ts);
// the rest reasons about these codes only (DKA_SCHEDULER_*; docs/errors.md lists them).
import { DokkaaError } from '../../kit/errors.js'
import { describeEtcdError, type EtcdFailureKind } from '../../kit/etcd-errors.js'

export type SchedulerErrorCode =
  /** Our leader key is gone: another scheduler may be writing; stop at once. */
  | 'DKA_SCHEDULER_DEPOSED'
  /** etcd refused or did not answer a read, watch or transaction. */
  | 'DKA_SCHEDULER_ETCD'
  /** A port the plan claimed was taken meanwhile (a key written by hand): planned again from the watch. */
  | 'DKA_SCHEDULER_PORT_TAKEN'

export class SchedulerError extends DokkaaError {
  /** For DKA_SCHEDULER_ETCD: what kind of etcd failure it was. */
  etcdKind?: EtcdFailureKind

  constructor(override readonly code: SchedulerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

export class DeposedError extends SchedulerError {
  constructor(leaderKey: string) {
    super('DKA_SCHEDULER_DEPOSED', `leader key ${leaderKey} is gone: no longer the scheduler, nothing written`)
  }
}

export function fromEtcdError(err: unknown, doing: string): SchedulerError {
  if (err instanceof SchedulerError) return err
  const { kind, message } = describeEtcdError(err)
  const e = new SchedulerError('DKA_SCHEDULER_ETCD', `etcd failed while trying to ${doing}: ${message}`, { cause: err })
  e.etcdKind = kind
  return e
}
