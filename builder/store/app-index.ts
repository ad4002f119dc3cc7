// The builder's in-memory copy of /apps (manifests, status, control) and /owners, fed by
// etcd reads and watch events (pure: no I/O). Records are parsed once, when they change,
// and each manifest's view is kept ready, so reading the status of 100 apps costs a map
// walk instead of etcd round trips and JSON parsing per request. Every value is read
// through record-shapes.ts (bounded, shape-checked, never throwing), and keys whose app or
// name break the naming rule are not apps at all: a value written straight into etcd can
// make an entry unreadable (manifest null), never a read fail.
import { isName, type ApiAppSummary, type ApiManifestView, type AppRef, type KeyLayout } from '../../schemas/index.js'
import type { Entry, WatchEvent } from '../../kit/kv.js'
import { readControl, readManifestDoc, readOwner, readStatus } from './record-shapes.js'

/** A manifest's view as the REST API answers it (schemas/rest-api.ts), plus what only the builder uses. */
export interface ManifestView extends ApiManifestView {
  /** The text as stored (the v2 API returns it verbatim). */
  raw: string
}

export interface AppSummary extends ApiAppSummary {
  manifests: ManifestView[]
}

type Part = 'manifest' | 'status' | 'control'
type Parts = Partial<Record<Part, Entry>> & { view?: ManifestView | null }

export function manifestView(ref: AppRef, m: Entry, s?: Entry, c?: Entry): ManifestView {
  return {
    ...ref,
    manifest: readManifestDoc(m.value),
    raw: m.value,
    revision: m.modRevision,
    createdRevision: m.createRevision,
    status: readStatus(s?.value),
    control: readControl(c?.value),
  }
}

function toEntry(e: WatchEvent): Entry {
  return { key: e.key, value: e.value ?? '', modRevision: e.modRevision, createRevision: e.createRevision ?? e.modRevision }
}

function byKey(a: string, b: string): number {
  const x = `${a}/`
  const y = `${b}/`
  return x < y ? -1 : x > y ? 1 : 0
}

export class AppIndex {
  /** app → name → parts; both levels kept in key order, as an etcd range read returns them. */
  private apps = new Map<string, Map<string, Parts>>()
  private owners = new Map<string, string>()
  /** A watch added an app or a name at the end of its map; list() sorts before walking. */
  private unordered = false
  /** Bumped by every change, so what is derived from the copy can be kept until it moves. */
  version = 0

  /** Keys already reported unreadable (key@modRevision), so each bad value is logged once. */
  private reported = new Set<string>()

  constructor(
    private readonly keys: KeyLayout,
    /** Told once per value that is skipped or unreadable: junk written by hand should be seen, not silently dropped. */
    private readonly onUnreadable: (key: string, why: string) => void = () => {},
  ) {}

  // --- feeding (one sink per watched prefix)

  resetApps(entries: Entry[]): void {
    this.apps.clear()
    for (const e of entries) this.setPart(e.key, e)
    this.unordered = true
  }

  applyApp(e: WatchEvent): void {
    this.setPart(e.key, e.type === 'put' ? toEntry(e) : undefined)
  }

  resetOwners(entries: Entry[]): void {
    this.owners.clear()
    for (const e of entries) this.setOwner(e.key, e.value, e.modRevision)
  }

  applyOwner(e: WatchEvent): void {
    this.setOwner(e.key, e.type === 'put' ? e.value : undefined, e.modRevision)
  }

  // --- reading

  ownerOf(app: string): string | undefined {
    return this.owners.get(app)
  }

  hasManifests(app: string): boolean {
    for (const parts of this.apps.get(app)?.values() ?? []) if (parts.manifest) return true
    return false
  }

  get(ref: AppRef): ManifestView | undefined {
    const parts = this.apps.get(ref.app)?.get(ref.name)
    return parts ? this.viewOf(ref, parts) : undefined
  }

  /** Every app that has a manifest and passes the filter, in key order. */
  list(visible: (app: string, owner: string | undefined) => boolean): AppSummary[] {
    if (this.unordered) this.sort()
    const out: AppSummary[] = []
    for (const [app, names] of this.apps) {
      const owner = this.owners.get(app)
      if (!visible(app, owner)) continue
      const manifests: ManifestView[] = []
      for (const [name, parts] of names) {
        const v = this.viewOf({ app, name }, parts)
        if (v) manifests.push(v)
      }
      if (manifests.length) out.push({ app, owner, manifests })
    }
    return out
  }

  /** etcd's key order: "a-b/…" before "a/…", hence the "/" appended before comparing. */
  private sort(): void {
    const order = <V>(m: Map<string, V>) => new Map([...m].sort(([a], [b]) => byKey(a, b)))
    this.apps = order(this.apps)
    for (const [app, names] of this.apps) this.apps.set(app, order(names))
    this.unordered = false
  }

  private viewOf(ref: AppRef, parts: Parts): ManifestView | undefined {
    if (parts.view === undefined) {
      parts.view = parts.manifest ? manifestView(ref, parts.manifest, parts.status, parts.control) : null
      if (parts.manifest && parts.view?.manifest === null) this.report(parts.manifest, 'not a JSON object within the manifest limits: shown as null')
      if (parts.view && parts.status && !parts.view.status) this.report(parts.status, 'not a status record: left out')
      if (parts.view && parts.control && !parts.view.control) this.report(parts.control, 'not a control record: left out')
    }
    return parts.view ?? undefined
  }

  private setPart(key: string, entry: Entry | undefined): void {
    this.version++
    const m = /^([^/]+)\/([^/]+)\/(manifest|status|control)$/.exec(key.slice(this.keys.apps.length))
    if (!key.startsWith(this.keys.apps) || !m) return
    if (!isName(m[1]) || !isName(m[2])) {
      if (entry) this.report(entry, 'app or name breaks the naming rule: ignored')
      return
    }
    const [, app, name, part] = m as unknown as [string, string, string, Part]
    let names = this.apps.get(app)
    if (!names) {
      if (!entry) return
      names = new Map()
      this.apps.set(app, names)
      this.unordered = true
    }
    let parts = names.get(name)
    if (!parts) {
      if (!entry) return
      parts = {}
      names.set(name, parts)
      this.unordered = true
    }
    if (entry) parts[part] = entry
    else delete parts[part]
    // Rebuilt on the next read, so a burst of status writes costs one parse.
    delete parts.view
    if (!parts.manifest && !parts.status && !parts.control) names.delete(name)
    if (names.size === 0) this.apps.delete(app)
  }

  private report(e: Pick<Entry, 'key' | 'modRevision'>, why: string): void {
    const id = `${e.key}@${e.modRevision}`
    if (this.reported.has(id)) return
    if (this.reported.size >= 10_000) this.reported.clear()
    this.reported.add(id)
    this.onUnreadable(e.key, why)
  }

  private setOwner(key: string, value: string | undefined, modRevision: number): void {
    this.version++
    if (!key.startsWith(this.keys.owners)) return
    const app = key.slice(this.keys.owners.length)
    const user = value === undefined ? undefined : readOwner(value)
    if (value !== undefined && !(user && isName(app))) this.report({ key, modRevision }, 'not an owner record of a valid app: ignored')
    if (user && isName(app)) this.owners.set(app, user)
    else this.owners.delete(app)
  }
}
