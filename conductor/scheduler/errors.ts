// The scheduler's error catalogue. etcd3's errors are translated once, in fromEtcdError,
// where the driver talks to etcd; the rest reasons about these codes only.

export type SchedulerErrorCode =
  /** Our leader key is gone: another scheduler may be writing; stop at once. */
  | 'SCHEDULER_DEPOSED'
  /** etcd refused or did not answer a read, watch or transaction. */
  | 'SCHEDULER_ETCD'

export class SchedulerError extends Error {
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
  const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
  return new SchedulerError('SCHEDULER_ETCD', `etcd failed while trying to ${doing}: ${detail}`, { cause: err })
}
