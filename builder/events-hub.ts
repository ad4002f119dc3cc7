// One etcd watch over the whole cluster prefix, fanned out to every server-sent-events
// client. Started by the first subscriber, stopped with the last, so an idle builder
// holds no watch. A single watcher keeps events in revision order, so an app's owner
// is always known before the app's first manifest event is filtered.
import type { KeyLayout, OwnerRecord } from '../schemas/index.js'
import type { Principal } from './store/accounts.js'
import type { Kv, WatchEvent } from './store/kv.js'

export type ChangeKind = 'manifest' | 'status' | 'control' | 'instance' | 'hosts'

export interface ChangeEvent {
  kind: ChangeKind
  type: 'put' | 'delete'
  app?: string
  name?: string
  index?: number
  revision: number
  /** Parsed value of a put (absent for deletes and for hosts, which clients re-read). */
  value?: unknown
}

type Listener = (e: ChangeEvent) => void

/** Pure: which change, if any, a raw etcd event stands for. */
export function classify(keys: KeyLayout, e: WatchEvent): ChangeEvent | undefined {
  const value = e.type === 'put' && e.value !== undefined ? safeJson(e.value) : undefined
  const base = { type: e.type, revision: e.modRevision }
  if (e.key.startsWith(keys.apps)) {
    const m = /^([^/]+)\/([^/]+)\/(manifest|status|control)$/.exec(e.key.slice(keys.apps.length))
    if (!m) return undefined
    return { ...base, kind: m[3] as ChangeKind, app: m[1], name: m[2], value }
  }
  const inst = keys.parseInstance(e.key)
  if (inst) return { ...base, kind: 'instance', ...inst, value }
  if (keys.parseHost(e.key) || keys.parseAssignment(e.key)) return { ...base, kind: 'hosts' }
  return undefined
}

function safeJson(text: string): unknown {
  try { return JSON.parse(text) } catch { return text }
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
    if (change) for (const l of this.listeners) l(change)
  }

  private noteOwner(key: string, value: string): void {
    const user = (safeJson(value) as OwnerRecord | undefined)?.user
    if (user) this.owners.set(key.slice(this.keys.owners.length), user)
  }
}
