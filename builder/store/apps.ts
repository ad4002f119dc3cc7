// Apps as the builder sees them: manifests, their status and lifecycle intent, the instances
// the conductors report, and who owns each app. Ownership is enforced here, so no route can
// forget it: someone else's app is reported exactly like a missing one.
import {
  parseManifest, type AppRef, type ClusterPolicy, type ControlRecord, type InstanceRecord,
  type KeyLayout, type OwnerRecord, type ValidationResult,
} from '../../schemas/index.js'
import { InvalidManifestError, NotFoundError } from '../errors.js'
import { applyVerb, type Verb } from '../lifecycle.js'
import type { Principal } from './accounts.js'
import { AppIndex, parseJson, type AppSummary, type ManifestView } from './app-index.js'
import type { Entry, Kv } from './kv.js'
import { PrefixMirror } from './prefix-mirror.js'

export type { AppSummary, ManifestView } from './app-index.js'

export interface InstanceView extends InstanceRecord { index: number }

export class Apps {
  private readonly index: AppIndex
  private readonly appsMirror: PrefixMirror
  private readonly ownersMirror: PrefixMirror
  private listed = { version: -1, bodies: new Map<string, string>() }

  constructor(
    private readonly kv: Kv,
    private readonly keys: KeyLayout,
    private readonly policy: () => Promise<ClusterPolicy> = async () => ({}),
    private readonly clock: () => number = Date.now,
    onResyncError: (err: Error) => void = () => {},
  ) {
    const index = this.index = new AppIndex(keys)
    this.appsMirror = new PrefixMirror(kv, keys.apps, { reset: e => index.resetApps(e), apply: e => index.applyApp(e) }, onResyncError)
    this.ownersMirror = new PrefixMirror(kv, keys.owners, { reset: e => index.resetOwners(e), apply: e => index.applyOwner(e) }, onResyncError)
  }

  /** Reads are served from the watched copy; this loads it on first use. */
  private async ready(): Promise<void> {
    await Promise.all([this.appsMirror.ready(), this.ownersMirror.ready()])
  }

  async stop(): Promise<void> {
    await Promise.all([this.appsMirror.stop(), this.ownersMirror.stop()])
  }

  async ownerOf(app: string): Promise<string | undefined> {
    await this.ready()
    return this.index.ownerOf(app)
  }

  /** Throws NotFoundError unless the principal may see this app. Apps nobody owns are root's. */
  async assertVisible(app: string, who: Principal): Promise<void> {
    if (who.admin) return
    if (await this.ownerOf(app) !== who.user) throw new NotFoundError(`no app "${app}"`)
  }

  /** Every app the principal may see, with its manifests, status and control. */
  async list(who: Principal): Promise<AppSummary[]> {
    await this.ready()
    return this.index.list((_app, owner) => who.admin || owner === who.user)
  }

  /**
   * The list as JSON, kept per viewer until the copy changes: a console or script polling
   * /apps costs one serialization per change instead of one per request.
   */
  async listJson(who: Principal, serialize: (apps: AppSummary[]) => string): Promise<string> {
    await this.ready()
    const viewer = who.admin ? '' : who.user
    if (this.listed.version !== this.index.version) this.listed = { version: this.index.version, bodies: new Map() }
    let body = this.listed.bodies.get(viewer)
    if (body === undefined) {
      body = serialize(await this.list(who))
      this.listed.bodies.set(viewer, body)
    }
    return body
  }

  async get(ref: AppRef, who: Principal): Promise<ManifestView> {
    await this.assertVisible(ref.app, who)
    const view = this.index.get(ref)
    if (!view) throw new NotFoundError(`no manifest ${ref.app}/${ref.name}`)
    return view
  }

  async validate(text: string): Promise<ValidationResult> {
    return parseManifest(text, await this.policy())
  }

  // Writes read etcd itself (the copy may lag another builder's write by a moment) and
  // return only once the copy holds what they wrote: a read after a write sees it.

  /** Validates, claims the app for the principal if nobody owns it yet, and writes. */
  async put(ref: AppRef, text: string, who: Principal): Promise<{ entry: Entry; prev?: Entry; manifest: unknown }> {
    const result = await this.validate(text)
    if (!result.ok) throw new InvalidManifestError(result.errors)
    const owner = await this.claim(ref.app, who)
    const { entry, prev } = await this.kv.put(this.keys.manifest(ref), text)
    await Promise.all([this.ownersMirror.caughtUp(owner), this.appsMirror.caughtUp(entry.modRevision)])
    return { entry, prev, manifest: JSON.parse(text) }
  }

  /** Deletes a manifest and its lifecycle intent; the scheduler removes its containers and status. */
  async delete(ref: AppRef, who: Principal): Promise<{ revision: number; prev: Entry }> {
    await this.assertVisible(ref.app, who)
    const res = await this.kv.delete(this.keys.manifest(ref))
    if (!res.prev) throw new NotFoundError(`no manifest ${ref.app}/${ref.name}`)
    let appsRevision = res.revision
    const control = await this.kv.delete(this.keys.control(ref))
    if (control.prev) appsRevision = control.revision
    const rest = (await this.kv.list(this.keys.app(ref.app))).filter(e => e.key.endsWith('/manifest'))
    // A delete that found nothing makes no watch event, so only a real one is waited for.
    const owner = rest.length === 0 ? await this.kv.delete(this.keys.owner(ref.app)) : undefined
    await Promise.all([
      this.appsMirror.caughtUp(appsRevision),
      owner?.prev ? this.ownersMirror.caughtUp(owner.revision) : undefined,
    ])
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
      const revision = await this.kv.swap(key, e?.modRevision ?? 0, JSON.stringify(next))
      if (revision !== undefined) {
        await this.appsMirror.caughtUp(revision)
        return next
      }
    }
  }

  /** Makes the principal the app's owner unless someone is; returns the owner record's revision. */
  private async claim(app: string, who: Principal): Promise<number> {
    // An app written straight into etcd (etcdctl, old scripts) has no owner: it is root's.
    if (!who.admin && parseJson<OwnerRecord>((await this.kv.get(this.keys.owner(app)))?.value)?.user === undefined) {
      const existing = (await this.kv.list(this.keys.app(app))).some(e => e.key.endsWith('/manifest'))
      if (existing) throw new NotFoundError(`no app "${app}"`)
    }
    const rec: OwnerRecord = { user: who.user, createdAt: new Date(this.clock()).toISOString() }
    const { created, entry } = await this.kv.create(this.keys.owner(app), JSON.stringify(rec))
    if (created || who.admin || parseJson<OwnerRecord>(entry.value)?.user === who.user) return entry.modRevision
    throw new NotFoundError(`no app "${app}"`)
  }
}
