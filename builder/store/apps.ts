// Apps as the builder sees them: manifests, their status and lifecycle intent, the instances
// the conductors report, and who owns each app. Ownership is enforced here, so no route can
// forget it: someone else's app is reported exactly like a missing one.
import {
  parseManifest, type AppRef, type ClusterPolicy, type ControlRecord, type InstanceRecord,
  type KeyLayout, type OwnerRecord, type StatusRecord, type ValidationResult,
} from '../../schemas/index.js'
import { InvalidManifestError, NotFoundError } from '../errors.js'
import { applyVerb, type Verb } from '../lifecycle.js'
import type { Principal } from './accounts.js'
import type { Entry, Kv } from './kv.js'

export interface ManifestView extends AppRef {
  manifest: unknown
  /** The text as stored (the v2 API returns it verbatim). */
  raw: string
  revision: number
  createdRevision: number
  status?: StatusRecord
  control?: ControlRecord
}

export interface AppSummary {
  app: string
  owner?: string
  manifests: ManifestView[]
}

export interface InstanceView extends InstanceRecord { index: number }

function parseJson<T>(text: string | undefined): T | undefined {
  if (text === undefined) return undefined
  try { return JSON.parse(text) as T } catch { return undefined }
}

export class Apps {
  constructor(
    private readonly kv: Kv,
    private readonly keys: KeyLayout,
    private readonly policy: () => Promise<ClusterPolicy> = async () => ({}),
    private readonly clock: () => number = Date.now,
  ) {}

  async ownerOf(app: string): Promise<string | undefined> {
    return parseJson<OwnerRecord>((await this.kv.get(this.keys.owner(app)))?.value)?.user
  }

  /** Throws NotFoundError unless the principal may see this app. Apps nobody owns are root's. */
  async assertVisible(app: string, who: Principal): Promise<void> {
    if (who.admin) return
    if (await this.ownerOf(app) !== who.user) throw new NotFoundError(`no app "${app}"`)
  }

  /** Every app the principal may see, with its manifests, status and control. */
  async list(who: Principal): Promise<AppSummary[]> {
    const [entries, owners] = await Promise.all([this.kv.list(this.keys.apps), this.kv.list(this.keys.owners)])
    const ownerOf = new Map(owners.map(e => [e.key.slice(this.keys.owners.length), parseJson<OwnerRecord>(e.value)?.user]))
    const byApp = new Map<string, Map<string, Partial<Record<'manifest' | 'status' | 'control', Entry>>>>()
    for (const e of entries) {
      const m = /^([^/]+)\/([^/]+)\/(manifest|status|control)$/.exec(e.key.slice(this.keys.apps.length))
      if (!m) continue
      const [, app, name, kind] = m as unknown as [string, string, string, 'manifest' | 'status' | 'control']
      if (!who.admin && ownerOf.get(app) !== who.user) continue
      const names = byApp.get(app) ?? new Map()
      byApp.set(app, names)
      const parts = names.get(name) ?? {}
      parts[kind] = e
      names.set(name, parts)
    }
    const out: AppSummary[] = []
    for (const [app, names] of byApp) {
      const manifests: ManifestView[] = []
      for (const [name, parts] of names) {
        if (!parts.manifest) continue
        manifests.push(this.view({ app, name }, parts.manifest, parts.status, parts.control))
      }
      if (manifests.length) out.push({ app, owner: ownerOf.get(app), manifests })
    }
    return out
  }

  async get(ref: AppRef, who: Principal): Promise<ManifestView> {
    await this.assertVisible(ref.app, who)
    const [m, s, c] = await Promise.all([
      this.kv.get(this.keys.manifest(ref)), this.kv.get(this.keys.status(ref)), this.kv.get(this.keys.control(ref)),
    ])
    if (!m) throw new NotFoundError(`no manifest ${ref.app}/${ref.name}`)
    return this.view(ref, m, s, c)
  }

  async validate(text: string): Promise<ValidationResult> {
    return parseManifest(text, await this.policy())
  }

  /** Validates, claims the app for the principal if nobody owns it yet, and writes. */
  async put(ref: AppRef, text: string, who: Principal): Promise<{ entry: Entry; prev?: Entry; manifest: unknown }> {
    const result = await this.validate(text)
    if (!result.ok) throw new InvalidManifestError(result.errors)
    await this.claim(ref.app, who)
    const { entry, prev } = await this.kv.put(this.keys.manifest(ref), text)
    return { entry, prev, manifest: JSON.parse(text) }
  }

  /** Deletes a manifest and its lifecycle intent; the scheduler removes its containers and status. */
  async delete(ref: AppRef, who: Principal): Promise<{ revision: number; prev: Entry }> {
    await this.assertVisible(ref.app, who)
    const res = await this.kv.delete(this.keys.manifest(ref))
    if (!res.prev) throw new NotFoundError(`no manifest ${ref.app}/${ref.name}`)
    await this.kv.delete(this.keys.control(ref))
    const rest = (await this.kv.list(this.keys.app(ref.app))).filter(e => e.key.endsWith('/manifest'))
    if (rest.length === 0) await this.kv.delete(this.keys.owner(ref.app))
    return { revision: res.revision, prev: res.prev }
  }

  async instances(ref: AppRef, who: Principal): Promise<InstanceView[]> {
    await this.get(ref, who)
    return (await this.kv.list(this.keys.instancesOf(ref)))
      .map(e => ({ ref: this.keys.parseInstance(e.key), rec: parseJson<InstanceRecord>(e.value) }))
      .filter((x): x is { ref: NonNullable<typeof x.ref>; rec: InstanceRecord } => !!x.ref && !!x.rec)
      .map(x => ({ ...x.rec, index: x.ref.index }))
      .sort((a, b) => a.index - b.index)
  }

  /** Applies a lifecycle verb to the control record, with compare-and-swap against concurrent writers. */
  async control(ref: AppRef, who: Principal, verb: Verb, index?: number): Promise<ControlRecord> {
    await this.get(ref, who)
    const key = this.keys.control(ref)
    for (;;) {
      const e = await this.kv.get(key)
      const next = applyVerb(parseJson<ControlRecord>(e?.value), verb, index)
      if (await this.kv.swap(key, e?.modRevision ?? 0, JSON.stringify(next))) return next
    }
  }

  private async claim(app: string, who: Principal): Promise<void> {
    // An app written straight into etcd (etcdctl, old scripts) has no owner: it is root's.
    if (!who.admin && await this.ownerOf(app) === undefined) {
      const existing = (await this.kv.list(this.keys.app(app))).some(e => e.key.endsWith('/manifest'))
      if (existing) throw new NotFoundError(`no app "${app}"`)
    }
    const rec: OwnerRecord = { user: who.user, createdAt: new Date(this.clock()).toISOString() }
    const { created, entry } = await this.kv.create(this.keys.owner(app), JSON.stringify(rec))
    if (created || who.admin) return
    if (parseJson<OwnerRecord>(entry.value)?.user !== who.user) throw new NotFoundError(`no app "${app}"`)
  }

  private view(ref: AppRef, m: Entry, s?: Entry, c?: Entry): ManifestView {
    return {
      ...ref,
      manifest: parseJson(m.value) ?? null,
      raw: m.value,
      revision: m.modRevision,
      createdRevision: m.createRevision,
      status: parseJson<StatusRecord>(s?.value),
      control: parseJson<ControlRecord>(c?.value),
    }
  }
}
