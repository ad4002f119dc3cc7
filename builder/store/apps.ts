// Apps as the builder sees them: manifests, their status and lifecycle intent, the instances
// the conductors report, and who owns each app. Ownership, the manifest rules (limits and
// policy, link ownership) and quotas are enforced here, so no route — REST, v2, scale — can
// forget one: someone else's app is reported exactly like a missing one.
import {
  appRefProblems, foreignLinkProblems, nameProblem, parseManifest, type ApiInstance, type AppRef, type ClusterPolicy, type ControlRecord,
  type InstanceRecord, type KeyLayout, type NormalizedManifest, type OwnerRecord, type ValidationResult,
} from '../../schemas/index.js'
import { InvalidManifestError, InvalidNameError, NotFoundError, QuotaExceededError } from '../errors.js'
import { applyVerb, type Verb } from '../../schemas/index.js'
import { heldBy, quotaRefusal } from '../quota.js'
import type { Principal } from './accounts.js'
import { AppIndex, type AppSummary, type ManifestView } from './app-index.js'
import type { Entry, Kv } from '../../kit/kv.js'
import { Mirror } from '../../kit/mirror.js'
import { readControl, readInstance, readOwner } from './record-shapes.js'
import { keepsValues } from './secrets.js'

export type { AppSummary, ManifestView } from './app-index.js'

/** An instance as the REST API answers it (schemas/rest-api.ts). */
export type InstanceView = ApiInstance

export class Apps {
  private readonly index: AppIndex
  private readonly appsMirror: Mirror
  private readonly ownersMirror: Mirror
  private listed = { version: -1, bodies: new Map<string, string>() }

  constructor(
    private readonly kv: Kv,
    private readonly keys: KeyLayout,
    private readonly policy: () => Promise<ClusterPolicy> = async () => ({}),
    private readonly clock: () => number = Date.now,
    onResyncError: (err: Error) => void = () => {},
    onUnreadable: (key: string, why: string) => void = () => {},
  ) {
    const index = this.index = new AppIndex(keys, onUnreadable)
    this.appsMirror = new Mirror(kv, keys.apps, { reset: e => index.resetApps(e), apply: es => es.forEach(e => index.applyApp(e)) }, { onResyncError })
    this.ownersMirror = new Mirror(kv, keys.owners, { reset: e => index.resetOwners(e), apply: es => es.forEach(e => index.applyOwner(e)) }, { onResyncError })
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
    // An admin's visibility check reads nothing: the copy may not be loaded yet.
    await this.ready()
    const view = this.index.get(ref)
    if (!view) throw new NotFoundError(`no manifest ${ref.app}/${ref.name}`)
    return view
  }

  async validate(text: string): Promise<ValidationResult> {
    return parseManifest(text, await this.policy())
  }

  // Writes read etcd itself (the copy may lag another builder's write by a moment) and
  // return only once the copy holds what they wrote: a read after a write sees it.

  /**
   * Validates (limits first, under the current policy), checks the links and the owner's
   * quota, claims the app for the principal if nobody owns it yet, and writes. Nothing is
   * written — not even the owner record — when any check fails.
   */
  async put(ref: AppRef, text: string, who: Principal): Promise<{ entry: Entry; prev?: Entry; manifest: NormalizedManifest }> {
    assertNames(ref)
    const policy = await this.policy()
    const result = parseManifest(text, policy)
    if (!result.ok) throw new InvalidManifestError(result.errors)
    await this.ready()
    const owner = await this.ownerFor(ref.app, who)
    // Admins (root) link anywhere and act past tenants' quotas; the contract exempts root.
    if (!who.admin) {
      const links = foreignLinkProblems(result.manifest.links, ref.app, who.user, app => this.index.ownerOf(app))
      if (links.length > 0) throw new InvalidManifestError(links)
    }
    if (owner === who.user) this.checkQuota(policy, owner, ref, result.manifest)
    const ownerRevision = await this.claim(ref.app, who)
    const { entry, prev } = await this.kv.put(this.keys.manifest(ref), text)
    await Promise.all([this.ownersMirror.caughtUp(ownerRevision), this.appsMirror.caughtUp(entry.modRevision)])
    return { entry, prev, manifest: result.manifest }
  }

  /** Refuses a write that would put the owner past a quota (usage counted over every manifest they own, from the copy). */
  private checkQuota(policy: ClusterPolicy, owner: string, ref: AppRef, next: NormalizedManifest): void {
    if (!policy.quotas) return
    const mine = this.index.list((_app, o) => (o ?? 'root') === owner).flatMap(a => a.manifests)
    const before = mine.map(v => heldBy(v.manifest))
    const after = [...mine.filter(v => v.app !== ref.app || v.name !== ref.name).map(v => heldBy(v.manifest)), next]
    const problems = quotaRefusal(policy, owner, before, after)
    if (problems.length > 0) throw new QuotaExceededError(problems)
  }

  /**
   * For a write of something the app owns other than a manifest (a secret, a config): the
   * same ownership rule as a manifest's put — someone else's app is a NotFoundError, an app
   * nobody owns yet becomes the principal's.
   */
  async claimForWrite(app: string, who: Principal): Promise<void> {
    const problem = nameProblem('app', app)
    if (problem) throw new InvalidNameError([problem])
    await this.ready()
    await this.ownerFor(app, who)
    await this.ownersMirror.caughtUp(await this.claim(app, who))
  }

  /** Deletes a manifest and its lifecycle intent; the scheduler removes its containers and status. */
  async delete(ref: AppRef, who: Principal): Promise<{ revision: number; prev: Entry }> {
    assertNames(ref)
    await this.assertVisible(ref.app, who)
    const res = await this.kv.delete(this.keys.manifest(ref))
    if (!res.prev) throw new NotFoundError(`no manifest ${ref.app}/${ref.name}`)
    let appsRevision = res.revision
    const control = await this.kv.delete(this.keys.control(ref))
    if (control.prev) appsRevision = control.revision
    await Promise.all([this.appsMirror.caughtUp(appsRevision), this.releaseIfUnused(ref.app)])
    return { revision: res.revision, prev: res.prev }
  }

  /**
   * Gives up the app's name once nothing of it is left: no manifest, no volume kept after a
   * delete, no secret or config. While one is kept the name stays its owner's — another
   * user creating the app anew would otherwise be placed on the old volumes, data and all,
   * or have their manifest mount the old owner's secrets.
   */
  async releaseIfUnused(app: string): Promise<void> {
    const manifests = (await this.kv.list(this.keys.app(app))).some(e => e.key.endsWith('/manifest'))
    if (manifests || (await this.kv.count(`${this.keys.volumesRoot}${app}/`)) > 0 || await keepsValues(this.kv, this.keys, app)) return
    const owner = await this.kv.delete(this.keys.owner(app))
    // A delete that found nothing makes no watch event, so only a real one is waited for.
    if (owner.prev) await this.ownersMirror.caughtUp(owner.revision)
  }

  async instances(ref: AppRef, who: Principal): Promise<InstanceView[]> {
    await this.get(ref, who)
    return (await this.kv.list(this.keys.instancesOf(ref)))
      .map(e => ({ ref: this.keys.parseInstance(e.key), rec: readInstance(e.value) }))
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
      const next = applyVerb(readControl(e?.value), verb, index)
      const revision = await this.kv.swap(key, e?.modRevision ?? 0, JSON.stringify(next))
      if (revision !== undefined) {
        await this.appsMirror.caughtUp(revision)
        return next
      }
    }
  }

  /**
   * Who owns (or would own, on this write) the app: its owner record's user; for an app with
   * manifests but no readable owner (written straight into etcd) root, and only admins may
   * write there; for a new app the writer. Someone else's app is a NotFoundError. Reads etcd,
   * writes nothing: the checks that depend on it run before anything is claimed.
   */
  private async ownerFor(app: string, who: Principal): Promise<string> {
    const owner = readOwner((await this.kv.get(this.keys.owner(app)))?.value)
    if (owner === undefined && (await this.kv.list(this.keys.app(app))).some(e => e.key.endsWith('/manifest'))) {
      if (who.admin) return 'root'
      throw new NotFoundError(`no app "${app}"`)
    }
    if (owner !== undefined && owner !== who.user && !who.admin) throw new NotFoundError(`no app "${app}"`)
    return owner ?? who.user
  }

  /** Makes the principal the app's owner unless someone is; returns the owner record's revision. */
  private async claim(app: string, who: Principal): Promise<number> {
    const rec: OwnerRecord = { user: who.user, createdAt: new Date(this.clock()).toISOString() }
    const { created, entry } = await this.kv.create(this.keys.owner(app), JSON.stringify(rec))
    // Someone may have claimed the app between ownerFor and here: the transaction decides.
    if (created || who.admin || readOwner(entry.value) === who.user) return entry.modRevision
    throw new NotFoundError(`no app "${app}"`)
  }
}

/** The last line of defence: no key is ever built from a name that breaks the rule, whatever route got here. */
function assertNames(ref: AppRef): void {
  const problems = appRefProblems(ref.app, ref.name)
  if (problems.length > 0) throw new InvalidNameError(problems)
}
