// The scheduler's error catalogue. etcd3's errors are translated once, in fromEtcdError,
// where the driver talks to etcd (what the failure was comes from kit/etcd-errors.ts);
// the rest reasons about these codes only.
import { describeEtcdError, type EtcdFailureKind } from '../../kit/etcd-errors.js'

export type SchedulerErrorCode =
  /** Our leader key is gone: another scheduler may be writing; stop at once. */
  | 'SCHEDULER_DEPOSED'
  /** etcd refused or did not answer a read, watch or transaction. */
  | 'SCHEDULER_ETCD'

export class SchedulerError extends Error {
  /** For SCHEDULER_ETCD: what kind of etcd failure it was. */
  etcdKind?: EtcdFailureKind

  constructor(readonly code: SchedulerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'SchedulerError'
  }
}

export class DeposedError extends SchedulerError {
  constructor(leaderKey: string) {
    super('SCHEDULER_DEPOSED', `leader key ${leaderKey} is gone: no longer the scheduler, nothing written`)
  }
}

export function fromEtcdError(err: unknown, doing: string): SchedulerError {
  if (err instanceof SchedulerError) return err
  const { kind, message } = describeEtcdError(err)
  const e = new SchedulerError('SCHEDULER_ETCD', `etcd failed while trying to ${doing}: ${message}`, { cause: err })
  e.etcdKind = kind
  return e
}
