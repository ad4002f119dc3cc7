// What `apply --wait` makes of a manifest's view while it follows the revision it put: has
// the scheduler read it, is a rollout to it under way, did it end, and how. Pure.
//
// Everything is matched on the manifest's revision (its etcd mod revision, which the put's
// reply carries): a status or rollout about an older revision says nothing about ours —
// the last deploy's "completed" must not end the wait for this one.
import type { ApiManifestView, ManifestError } from '../schemas/index.js'

/** A manifest applied, and the revision the put made. */
export interface WaitTarget { app: string; name: string; revision: number }

export type FollowState =
  /** The scheduler has not read this revision yet. */
  | 'waiting'
  /** A rolling update to this revision is under way. */
  | 'rolling'
  /** No rollout (a first deploy, or the spec did not change): waiting for the instances. */
  | 'converging'
  /** Rolled out, or running this revision. */
  | 'done'
  | 'rolled-back' | 'paused' | 'invalid'
  /** The manifest was written again: this revision will never be the one that runs. */
  | 'superseded'
  | 'deleted'
  | 'timed-out'

export interface Followed {
  /** app/name */
  ref: string
  revision: number
  state: FollowState
  /** Progress: instances updated (or running) of total. */
  done: number
  total: number
  /** The status's phase, when it is what there is to say (converging). */
  phase?: string
  /** Whether this revision came by a rolling update (vs. a first start). */
  rollout?: boolean
  /** The revision kept or gone back to (rolled back). */
  fromRevision?: number
  reason?: string
  errors?: ManifestError[]
  /** The newer revision of the manifest (superseded). */
  newer?: number
  /** What it was doing when the wait gave up (timed-out). */
  was?: Followed
  /** Instances of this revision pulling their image, and how far (the status's "pulling"). */
  pulling?: string[]
}

const FINAL: ReadonlySet<FollowState> = new Set(['done', 'rolled-back', 'paused', 'invalid', 'superseded', 'deleted', 'timed-out'])

export function isFinal(f: Followed): boolean {
  return FINAL.has(f.state)
}

export function initial(t: WaitTarget): Followed {
  return { ref: `${t.app}/${t.name}`, revision: t.revision, state: 'waiting', done: 0, total: 0 }
}

/** Where the target stands, from its manifest view (undefined: the manifest is gone). */
export function follow(t: WaitTarget, view: ApiManifestView | undefined): Followed {
  const base = initial(t)
  if (!view) return { ...base, state: 'deleted' }
  if (view.revision > t.revision) return { ...base, state: 'superseded', newer: view.revision }
  const s = view.status
  if (!s || s.revision === undefined || s.revision < t.revision) return base
  if (s.revision > t.revision) return { ...base, state: 'superseded', newer: s.revision }
  if (s.phase === 'Invalid') return { ...base, state: 'invalid', errors: s.errors ?? [] }
  // Pulls are said while the revision is on its way, not once it ended.
  const pulling = s.pulling?.length ? { pulling: s.pulling } : {}
  const r = s.rollout
  if (r && r.to.revision === t.revision) {
    const progress = { ...base, done: r.updated, total: r.total, rollout: true, fromRevision: r.from.revision }
    switch (r.state) {
      case 'rolling': return { ...progress, ...pulling, state: 'rolling' }
      case 'completed': return { ...progress, state: 'done', done: r.total }
      case 'rolled-back': return { ...progress, state: 'rolled-back', reason: r.reason }
      case 'paused': return { ...progress, state: 'paused', reason: r.reason }
    }
  }
  // No rollout to this revision: it is there once every desired instance runs its spec
  // (the status counts only instances of the status's spec as running).
  const counts = { ...base, done: s.running ?? 0, total: s.desired ?? 0 }
  const deployed = s.validRevision === t.revision
  if (deployed && (s.phase === 'Running' || s.phase === 'Stopped')) return { ...counts, state: 'done', done: counts.total }
  return { ...counts, ...pulling, state: 'converging', phase: s.phase }
}

/** Gives up on a target that has not ended, keeping what it was doing for the message. */
export function timedOut(f: Followed): Followed {
  return isFinal(f) ? f : { ...f, state: 'timed-out', was: f }
}

/** What a user reads about a target, without its name: "rolling 1/3", "rolled back to revision 12: …". */
export function describe(f: Followed): string {
  const n = `${f.done}/${f.total}`
  switch (f.state) {
    case 'waiting': return `waiting for the scheduler (revision ${f.revision})`
    case 'rolling': return `rolling ${n}`
    case 'converging': return `${f.phase ?? 'Pending'}, ${f.done}/${f.total} running`
    case 'done': return f.rollout ? `rolled out revision ${f.revision} (${n})` : `running revision ${f.revision} (${n})`
    case 'rolled-back': return `rolled back to revision ${f.fromRevision}: ${f.reason ?? 'the new version failed'}`
    case 'paused': return `paused at ${n}: ${f.reason ?? 'the new version failed'}`
    case 'invalid': return `revision ${f.revision} is invalid (${f.errors?.length ?? 0} error${f.errors?.length === 1 ? '' : 's'})`
    case 'superseded': return `revision ${f.revision} was replaced by revision ${f.newer} before it rolled out`
    case 'deleted': return 'deleted while waiting'
    case 'timed-out': return `not rolled out yet: ${f.was ? describe(f.was) : 'waiting'}`
  }
}

/** The lines a target's state takes: its description, then an invalid manifest's errors, or the pulls a timed-out wait was waiting for. */
export function describeLines(f: Followed): string[] {
  return [
    `${f.ref}: ${describe(f)}`, ...(f.errors ?? []).map(e => `  ${e.path || '/'}: ${e.message}`),
    ...(f.state === 'timed-out' ? f.was?.pulling ?? [] : []).map(p => `  ${p}`),
  ]
}
