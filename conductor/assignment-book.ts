// This host's assignments as the conductor last read them from etcd: the ones it acts on
// (desired) and the ones it refused (rejected: junk, a spec that fails validation, an
// image outside Docker's grammar). Fed by the watch, one key at a time, and by each
// resync's full read. A value is read (and a refusal logged) only when it changes, so
// junk costs one log line, not one per resync; keys under this host's prefix that name
// no valid instance are logged once and never acted on.
import type { Logger } from 'pino'
import type { InstanceRef, KeyLayout } from '../schemas/index.js'
import { desiredFromAssignment, type RejectedInstance } from './desired-state.js'
import { LogOnce, shown } from './log-once.js'
import type { DesiredInstance } from './model.js'
import { manifestKey, refKey } from './model.js'

export class AssignmentBook {
  private readonly desired = new Map<string, DesiredInstance>()
  private readonly rejected = new Map<string, RejectedInstance>()
  /** The raw value each entry was read from: an unchanged value is not read again. */
  private readonly raw = new Map<string, string>()
  private readonly junk = new LogOnce()

  constructor(private readonly keys: KeyLayout, private readonly hostId: string, private readonly log: Logger) {}

  /** A watch event on `key`; returns the instance it concerns, if the key names one of ours. */
  onKey(key: string, value: string | undefined): InstanceRef | undefined {
    const ref = this.refOf(key, value)
    if (ref) this.set(ref, value)
    return ref
  }

  /** A full read of this host's prefix: everything else is forgotten. */
  replaceAll(kvs: Iterable<{ key: string; value: string }>): void {
    const fresh = new Map<string, { ref: InstanceRef; value: string }>()
    for (const { key, value } of kvs) {
      const ref = this.refOf(key, value)
      if (ref) fresh.set(refKey(ref), { ref, value })
    }
    for (const rk of [...this.raw.keys()]) if (!fresh.has(rk)) this.forget(rk)
    for (const { ref, value } of fresh.values()) this.set(ref, value)
  }

  get(ref: InstanceRef): DesiredInstance | undefined {
    return this.desired.get(refKey(ref))
  }

  /** One manifest's instances on this host: to run, and refused. */
  of(app: string, name: string): { desired: DesiredInstance[]; rejected: RejectedInstance[] } {
    const mine = (r: InstanceRef) => r.app === app && r.name === name
    return { desired: [...this.desired.values()].filter(d => mine(d.ref)), rejected: [...this.rejected.values()].filter(r => mine(r.ref)) }
  }

  /** "app/name" of every manifest with an instance here, run or refused. */
  manifests(): Set<string> {
    return new Set([...this.desired.values(), ...this.rejected.values()].map(x => manifestKey(x.ref)))
  }

  get size(): number {
    return this.desired.size
  }

  private set(ref: InstanceRef, value: string | undefined): void {
    const rk = refKey(ref)
    if (value === undefined) return this.forget(rk)
    if (this.raw.get(rk) === value) return
    this.raw.set(rk, value)
    const d = desiredFromAssignment(ref, value)
    if (d.ok) {
      this.desired.set(rk, d.desired)
      this.rejected.delete(rk)
      return
    }
    this.desired.delete(rk)
    this.rejected.set(rk, d.rejected)
    this.log.error({ app: ref.app, name: ref.name, instance: ref.index, err: d.rejected.reason }, 'assignment rejected; its instance is recorded failed')
  }

  private forget(rk: string): void {
    this.desired.delete(rk)
    this.rejected.delete(rk)
    this.raw.delete(rk)
  }

  /** The instance a key of ours names; a key that names none ("VICTIM", "..", no index) is logged once. */
  private refOf(key: string, value: string | undefined): InstanceRef | undefined {
    const ref = this.keys.parseAssignment(key)
    if (ref && ref.host === this.hostId) return { app: ref.app, name: ref.name, index: ref.index }
    if (!key.startsWith(this.keys.assignments(this.hostId))) return undefined
    if (value === undefined) this.junk.forget(key)
    else if (this.junk.first(key)) this.log.warn({ key: shown(key) }, 'ignoring an assignment key that names no valid app, name and index')
    return undefined
  }
}
