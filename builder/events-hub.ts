// One etcd watch over the whole cluster prefix, fanned out to every server-sent-events
// client. Started by the first subscriber, stopped with the last, so an idle builder
// holds no watch. A single watcher keeps events in revision order, so an app's owner
// is always known before the app's first manifest event is filtered. Values are read
// through record-shapes.ts and a listener's failure stays with that listener: a
// value written straight into etcd must never throw inside the watch and end the process.
import { isName, type KeyLayout } from '../schemas/index.js'
import type { Principal } from './store/accounts.js'
import type { Kv, WatchEvent } from '../kit/kv.js'
import { readControl, readInstance, readManifestDoc, readOwner, readStatus } from './store/record-shapes.js'

export type ChangeKind = 'manifest' | 'status' | 'control' | 'instance' | 'hosts'

export interface ChangeEvent {
  kind: ChangeKind
  type: 'put' | 'delete'
  app?: string
  name?: string
  index?: number
  revision: number
  /** Parsed value of a put (absent for deletes, for hosts, which clients re-read, and for values too large or deep to pass on). */
  value?: unknown
}

type Listener = (e: ChangeEvent) => void

/** Pure: which change, if any, a raw etcd event stands for. */
export function classify(keys: KeyLayout, e: WatchEvent): ChangeEvent | undefined {
  const put = e.type === 'put'
  const base = { type: e.type, revision: e.modRevision }
  if (e.key.startsWith(keys.apps)) {
    const m = /^([^/]+)\/([^/]+)\/(manifest|status|control)$/.exec(e.key.slice(keys.apps.length))
    if (!m || !isName(m[1]) || !isName(m[2])) return undefined
    const kind = m[3] as 'manifest' | 'status' | 'control'
    // The same shape checks as the API's reads, so the page patches itself with what a re-read would show.
    const value = !put ? undefined : kind === 'manifest' ? readManifestDoc(e.value) : kind === 'status' ? readStatus(e.value) : readControl(e.value)
    return { ...base, kind, app: m[1], name: m[2], value }
  }
  const inst = keys.parseInstance(e.key)
  if (inst) return { ...base, kind: 'instance', ...inst, value: put ? readInstance(e.value) : undefined }
  if (keys.parseHost(e.key) || keys.parseAssignment(e.key)) return { ...base, kind: 'hosts' }
  return undefined
}

export class EventsHub {
  private listeners = new Set<Listener>()
  private owners = new Map<string, string>()
  private stopWatch?: Promise<() => Promise<void>>

  constructor(private readonly kv: Kv, private readonly keys: KeyLayout) {}

  /** Subscribes a listener that sees only what the principal may see. */
  async subscribe(who: Principal, listener: Listener): Promise<() => void> {
    const filtered: Listener = e => { if (this.visible(e, who)) listener(e) }
    this.listeners.add(filtered)
    if (!this.stopWatch) this.stopWatch = this.start()
    await this.stopWatch
    return () => {
      this.listeners.delete(filtered)
      if (this.listeners.size === 0) void this.stop()
    }
  }

  async stop(): Promise<void> {
    const s = this.stopWatch
    this.stopWatch = undefined
    if (s) await (await s)()
  }

  private visible(e: ChangeEvent, who: Principal): boolean {
    if (who.admin || e.kind === 'hosts') return true
    return e.app !== undefined && this.owners.get(e.app) === who.user
  }

  private async start(): Promise<() => Promise<void>> {
    const stop = await this.kv.watchPrefix(`${this.keys.prefix}/`, e => this.onEvent(e))
    // Watch first, then read: an owner written in between is seen by one or the other.
    for (const e of await this.kv.list(this.keys.owners)) this.noteOwner(e.key, e.value)
    return stop
  }

  private onEvent(e: WatchEvent): void {
    if (e.key.startsWith(this.keys.owners)) {
      if (e.type === 'put') this.noteOwner(e.key, e.value ?? '')
      // Events arrive in revision order, so the app's own deletes went out before this.
      else this.owners.delete(e.key.slice(this.keys.owners.length))
      return
    }
    const change = classify(this.keys, e)
    if (!change) return
    for (const l of this.listeners) {
      try { l(change) } catch { /* that client's stream is broken; the others carry on */ }
    }
  }

  private noteOwner(key: string, value: string): void {
    const user = readOwner(value)
    const app = key.slice(this.keys.owners.length)
    if (user) this.owners.set(app, user)
    else this.owners.delete(app)
  }
}
