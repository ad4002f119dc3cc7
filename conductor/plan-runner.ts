// Carries out a plan's steps for the agent: quick ones through the driver, at most
// --concurrency Docker operations at once, awaited by the sync that planned them; graceful
// ones (retire, stop, restart) handed to graceful-steps.ts, which runs them in the
// background and queues the manifest again when one ends (after a failure, with backoff).
// Every outcome lands in the instance memo.
import PQueue from 'p-queue'
import type { Logger } from 'pino'
import type { ContainerSpec } from '../schemas/index.js'
import { LABELS, stopGraceMs } from '../schemas/index.js'
import type { ContainerHealth } from './container-health.js'
import type { ContainerDetail } from './docker-engine.js'
import type { Driver } from './driver.js'
import { GracefulSteps } from './graceful-steps.js'
import { describeStep, type InstanceMemos } from './instance-memo.js'
import type { DesiredInstance, GracefulStep, Step } from './model.js'
import { isGraceful, isReady, manifestKey } from './model.js'
import { failureBackoff } from './restart-delay.js'

export interface PlanRunnerDeps {
  driver: Driver
  memos: InstanceMemos
  health: ContainerHealth
  log: Logger
  concurrency: number
  drainMs: number
  clock: () => number
  /** Graceful step phase one: announce manifest `mk` without its in-flight containers. */
  withdraw(mk: string): Promise<void>
  /** Look at manifest `mk` again, now or at `at`. */
  requeue(mk: string, at?: number): void
}

export class PlanRunner {
  private readonly ops: PQueue
  private readonly graceful: GracefulSteps

  constructor(private readonly deps: PlanRunnerDeps) {
    this.ops = new PQueue({ concurrency: deps.concurrency })
    this.graceful = new GracefulSteps({
      drainMs: deps.drainMs,
      withdraw: mk => deps.withdraw(mk),
      act: (step, graceMs, log) => deps.driver.apply(step, log, graceMs),
      unwatch: id => deps.health.pause(id),
    })
  }

  /** The graceful step under way on a container (it is withdrawn from SkyDNS meanwhile). */
  inFlight(containerId: string): GracefulStep['kind'] | undefined {
    return this.graceful.inFlight(containerId)
  }

  /** Runs the steps (distinct containers, so in parallel); returns what failed of the quick ones. */
  async apply(steps: Step[], details: readonly ContainerDetail[], desired: readonly DesiredInstance[]): Promise<Error[]> {
    const failures: Error[] = []
    const specs = specsByHash(desired)
    await Promise.all(steps.map(step => {
      const log = this.deps.log.child({ app: step.ref.app, name: step.ref.name, instance: step.ref.index })
      log.info({ step: describeStep(step) }, 'applying')
      const before = details.find(c => 'containerId' in step && c.id === step.containerId)
      if (isGraceful(step)) {
        const spec = specs.get(before?.labels[LABELS.spec] ?? '')
        // A container that could take traffic may be in SkyDNS (or just switched out of it): drain it.
        const drain = before !== undefined && isReady({ state: before.state, health: this.deps.health.healthOf(before.id)?.state })
        this.graceful.begin(step, {
          drain, log, finished: (err, n) => this.gracefulDone(step, before, log, err, n),
          ...(spec ? { graceMs: stopGraceMs(spec) } : {}),
        })
        return undefined
      }
      return this.ops.add(async () => {
        try {
          await this.deps.driver.apply(step, log)
          this.deps.memos.applied(step, before, this.deps.clock())
        } catch (err) {
          this.failed(step, log, err as Error)
          failures.push(err as Error)
        }
      })
    }))
    return failures
  }

  /** Abandons graceful steps not yet at Docker and starts no more: shutting down stops no container. */
  close(): void {
    this.graceful.close()
  }

  /** Resolves when no quick step runs. */
  async idle(): Promise<void> {
    await this.ops.onIdle()
  }

  private gracefulDone(step: GracefulStep, before: ContainerDetail | undefined, log: Logger, err: Error | undefined, failures: number): void {
    const mk = manifestKey(step.ref)
    if (err) {
      this.failed(step, log, err)
      this.deps.requeue(mk, this.deps.clock() + failureBackoff(failures))
      return
    }
    this.deps.memos.applied(step, before, this.deps.clock())
    log.info({ step: describeStep(step) }, 'done')
    this.deps.requeue(mk)
  }

  private failed(step: Step, log: Logger, err: Error): void {
    log.error({ step: step.kind, err: err.message, code: (err as { code?: string }).code }, 'step failed')
    this.deps.memos.failed(step, err.message)
  }
}

/** Spec hash -> spec, for the specs a manifest's containers may run: the assigned ones and
 * the previous ones a rollout may go back to (their health checks and grace periods). */
export function specsByHash(desired: readonly DesiredInstance[]): Map<string, ContainerSpec> {
  const out = new Map<string, ContainerSpec>()
  for (const d of desired) {
    if (d.previous) out.set(d.previous.specHash, d.previous.spec)
    out.set(d.specHash, d.spec)
  }
  return out
}
