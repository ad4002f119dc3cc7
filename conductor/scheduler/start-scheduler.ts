// Entry point of the cluster-wide scheduler. Every conductor calls startScheduler; the
// instances campaign in one etcd election and only the leader schedules.
// (Signature agreed between the agent and the scheduler; the body is being written.)
import type { Etcd3 } from 'etcd3'
import type { Logger } from 'pino'
import type { KeyLayout } from '../../schemas/index.js'

export interface SchedulerOptions {
  client: Etcd3
  keys: KeyLayout
  log: Logger
  /** This conductor's host id: the candidate's name in the election. */
  hostId: string
  /** Injected for tests; Date.now by default. */
  clock?: () => number
}

export interface RunningScheduler {
  readonly isLeader: boolean
  stop(): Promise<void>
}

export function startScheduler(_opts: SchedulerOptions): RunningScheduler {
  throw new Error('scheduler not written yet')
}
