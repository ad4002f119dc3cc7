// What the agent remembers about each instance between passes, and the rules that keep
// it: restarts it did, the crash loop an instance is in (fed to restart-delay.ts through
// reconcile), the restart generation carried out, whether the container is down because
// we stopped it, the last failure. Which container speaks for an instance when the engine
// has several is instance-view.ts. Pure: no etcd, no Docker, time comes in as `now`.
import type { InstanceRef } from '../schemas/index.js'
import { LABELS } from '../schemas/index.js'
import type { ContainerDetail } from './docker-engine.js'
import { emptyMemo, type InstanceMemo } from './instance-record.js'
import type { InstanceView } from './instance-view.js'
import type { ActualContainer, DesiredInstance, Step } from './model.js'
import { refKey } from './model.js'
import { QUICK_RUN_MS } from './restart-delay.js'

export type { InstanceMemo }

export class InstanceMemos {
  private readonly memos = new Map<string, InstanceMemo>()

  /** What we remember of `ref` (a fresh memo the first time it is asked about). */
  of(ref: InstanceRef): InstanceMemo {
    const rk = refKey(ref)
    let m = this.memos.get(rk)
    if (!m) {
      m = emptyMemo()
      this.memos.set(rk, m)
    }
    return m
  }

  has(ref: InstanceRef): boolean {
    return this.memos.has(refKey(ref))
  }

  /** Memos restored from the records a previous run of this conductor wrote (refKey -> memo). */
  adopt(memos: Iterable<[string, InstanceMemo]>): void {
    for (const [rk, memo] of memos) this.memos.set(rk, memo)
  }

  /** One manifest's containers as reconcile sees them: the engine's facts plus what we remember. */
  annotate(app: string, name: string, details: readonly ContainerDetail[], assigned: (ref: InstanceRef) => DesiredInstance | undefined): ActualContainer[] {
    return details.map(c => {
      const ref = { app, name, index: Number(c.labels[LABELS.instance]) }
      const memo = this.of(ref)
      const d = assigned(ref)
      // An adopted container has done whatever restart was asked before we came.
      if (memo.restartGeneration === undefined && d) memo.restartGeneration = d.restartGeneration
      return { ...c, restartGeneration: memo.restartGeneration, stoppedByUs: memo.stoppedByUs, quickRestarts: memo.quickRestarts }
    })
  }

  /** A step succeeded. `before`: its container as inspected before the step (for how long it ran). */
  applied(step: Step, before: ContainerDetail | undefined, now: number): void {
    const m = this.of(step.ref)
    m.error = undefined
    switch (step.kind) {
      case 'create':
      case 'replace':
        m.restartGeneration = step.desired.restartGeneration
        m.stoppedByUs = step.desired.run === 'stopped'
        break
      case 'start':
        m.stoppedByUs = false
        if (step.reason === 'restart-policy') {
          m.restarts++
          const ran = (before?.finishedAt ?? 0) - (before?.startedAt ?? 0)
          m.quickRestarts = ran < QUICK_RUN_MS ? m.quickRestarts + 1 : 0
        }
        break
      case 'restart':
        m.restartGeneration = step.generation
        // A restart because the check said unhealthy is a crash that had not happened yet.
        if (step.reason === 'unhealthy') {
          m.restarts++
          const ran = now - (before?.startedAt ?? now)
          m.quickRestarts = ran < QUICK_RUN_MS ? m.quickRestarts + 1 : 0
        }
        break
      case 'stop':
        m.stoppedByUs = true
        break
      case 'remove':
      case 'retire':
        if (step.reason === 'unassigned') this.memos.delete(refKey(step.ref))
        break
      case 'rename':
        break
    }
  }

  /** A step failed: the instance's record carries the message until the next success
   * (a container going away that fails to is not the instance's failure). */
  failed(step: Step, message: string): void {
    if (step.kind !== 'remove' && step.kind !== 'retire') this.of(step.ref).error = message
  }

  /** Nothing left to do for a manifest: an instance that has stayed up a while is out of its crash loop. */
  settled(desired: readonly DesiredInstance[], views: ReadonlyMap<string, InstanceView>, now: number): void {
    for (const d of desired) {
      const c = views.get(refKey(d.ref))?.record
      if (!c) continue
      const m = this.of(d.ref)
      if (m.error) continue
      if (m.quickRestarts > 0 && c.state === 'running' && c.startedAt !== undefined && now - c.startedAt > QUICK_RUN_MS) m.quickRestarts = 0
    }
  }
}

/** A step as one log word or three: "start 0123456789ab (restart-policy)". */
export function describeStep(step: Step): string {
  const id = 'containerId' in step ? ` ${step.containerId.slice(0, 12)}` : ''
  const why = 'reason' in step ? ` (${step.reason})` : ''
  return `${step.kind}${id}${why}`
}
