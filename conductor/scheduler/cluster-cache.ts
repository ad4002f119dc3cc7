// The scheduler's in-memory copy of the etcd keys it plans from, fed by its watches and
// by its own committed writes, and turned into the planner's input on demand. Values
// are read once, when they arrive, each by the reader of its kind (cached-records.ts): a value of the wrong shape is kept as
// undefined and skipped by the planner, and logged once — not on every pass. Manifests
// are validated lazily and the answer kept until the manifest or the policy changes.
import type { Logger } from 'pino'
import {
  DEFAULT_LIMITS, isName, parsePolicy, serviceKey,
  type Assignment, type ClusterPolicy, type ConfigRecord, type PortRange, type ControlRecord, type HostRecord, type InstanceRecord, type KeyLayout,
  type SecretRecord, type StatusRecord, type VolumeHomeRecord,
} from '../../schemas/index.js'
import { LogOnce, shown } from '../log-once.js'
import { checkManifest, isStatusSafeSegment } from './check-manifest.js'
import type { CheckedManifest, CurrentAssignment, ManifestInput, ScheduleInput } from './plan-types.js'
import { instanceId, manifestId } from './plan-types.js'
import { readCached, type Kind } from './cached-records.js'

export interface CachedKv {
  value: string
  modRevision: number
  /** Of the key's current incarnation; manifests are counted against quotas in this order. */
  createRevision?: number
}


interface Entry extends CachedKv {
  kind: Kind
  parsed: unknown
  /** A manifest's validation, under the policy version it was made with. */
  checked?: { policyVersion: number; value: CheckedManifest }
}

export class ClusterCache {
  private readonly entries = new Map<string, Entry>()
  private readonly junk = new LogOnce()
  /** The last valid /config/policy (an invalid one does not replace it). */
  private policy: ClusterPolicy | undefined
  private policyVersion = 0

  constructor(private readonly keys: KeyLayout, private readonly log?: Logger, private readonly portRange?: PortRange) {}

  /** The prefixes (and single keys) whose every key the scheduler needs. */
  prefixes(): string[] {
    const k = this.keys
    return [k.apps, k.hosts, k.assignRoot, k.instances, k.owners, k.policy, k.portsRoot, k.portOwnersRoot, k.volumesRoot, k.secretsRoot, k.configsRoot]
  }

  /**
   * Keys per page when `prefix` is read: manifests may be 64 KiB each, and 60 of them
   * stay under gRPC's 4 MiB, where the default 500 would be refused (and halved) three
   * times first — 50 MB of manifests read in vain on every failover.
   */
  pageSize(prefix: string): number | undefined {
    return prefix === this.keys.apps ? Math.floor((4 * 1024 * 1024 * 0.9) / DEFAULT_LIMITS.bytes) : undefined
  }

  /** Sets a key; returns whether anything the planner reads changed. */
  put(key: string, kv: CachedKv): boolean {
    const kind = this.kindOf(key)
    if (!kind) {
      this.unusable(key, kv.modRevision)
      return false
    }
    const before = this.entries.get(key)
    if (before && before.modRevision >= kv.modRevision && kv.modRevision > 0) return false
    if (before?.value === kv.value) {
      before.modRevision = kv.modRevision
      // A manifest put again unchanged still has a new revision for its status.
      return kind === 'manifest'
    }
    this.entries.set(key, { ...kv, kind, parsed: this.read(kind, key, kv) })
    return true
  }

  /** Removes a key deleted at `revision` (unless it was written again since). */
  delete(key: string, revision = Infinity): boolean {
    this.junk.forget(key)
    const before = this.entries.get(key)
    if (!before || before.modRevision >= revision) return false
    this.remove(key)
    return true
  }

  /** Replaces everything under `prefix` with a fresh read. */
  replacePrefix(prefix: string, fresh: ReadonlyMap<string, CachedKv>): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix) && !fresh.has(key)) this.remove(key)
    for (const [key, kv] of fresh) {
      const before = this.entries.get(key)
      // Unchanged since we read it: keep what was parsed (and validated) from it.
      if (before && before.modRevision === kv.modRevision && before.value === kv.value) continue
      this.entries.delete(key)
      this.put(key, kv)
    }
  }

  kindOf(key: string): Kind | undefined {
    const k = this.keys
    if (key === k.policy) return 'policy'
    const manifest = k.parseManifestKey(key)
    // A manifest key with invalid names is still planned (as invalid, so its status says
    // why) as long as a status key can be made from its segments.
    if (manifest) return isStatusSafeSegment(manifest.app) && isStatusSafeSegment(manifest.name) ? 'manifest' : undefined
    if (k.parseControl(key)) return 'control'
    if (this.parseStatus(key)) return 'status'
    if (k.parseHost(key)) return 'host'
    if (k.parseAssignment(key)) return 'assignment'
    if (k.parseInstance(key)) return 'instance'
    if (this.parseOwner(key)) return 'owner'
    if (k.parsePort(key)) return 'port'
    if (k.parsePortOwner(key) !== undefined) return 'portOwner'
    if (k.parseVolumeHome(key)) return 'volumeHome'
    return k.parseSecretOrConfig(key)?.kind
  }

  /** Everything the planner needs, as of now. */
  toInput(now: number): ScheduleInput {
    const k = this.keys
    const manifests: ManifestInput[] = []
    const controls = new Map<string, ControlRecord>()
    const statuses = new Map<string, StatusRecord>()
    const hosts: HostRecord[] = []
    const assignments: CurrentAssignment[] = []
    const instances = new Map<string, InstanceRecord>()
    const owners = new Map<string, string>()
    const unplaceable = new Set<string>()
    const ports = new Map<string, number>()
    const takenPorts = new Set<number>()
    const volumeHomes = new Map<string, VolumeHomeRecord>()
    const secrets = new Map<string, SecretRecord>()
    const configs = new Map<string, ConfigRecord>()
    for (const [key, e] of this.entries) {
      switch (e.kind) {
        case 'manifest': {
          const ref = k.parseManifestKey(key)!
          if (e.checked?.policyVersion !== this.policyVersion) {
            e.checked = { policyVersion: this.policyVersion, value: checkManifest({ ...ref, text: e.value }, this.policy) }
          }
          manifests.push({
            ...ref, text: e.value, revision: e.modRevision,
            ...(e.createRevision === undefined ? {} : { createRevision: e.createRevision }), checked: e.checked.value,
          })
          break
        }
        case 'control':
          if (e.parsed) controls.set(manifestId(k.parseControl(key)!), e.parsed as ControlRecord)
          break
        case 'status':
          if (e.parsed) statuses.set(manifestId(this.parseStatus(key)!), e.parsed as StatusRecord)
          break
        case 'host': {
          const h = e.parsed as { host: HostRecord; wellFormed: boolean }
          hosts.push(h.host)
          if (!h.wellFormed) unplaceable.add(h.host.id)
          break
        }
        case 'assignment':
          assignments.push({ ...k.parseAssignment(key)!, value: e.parsed as Assignment | undefined })
          break
        case 'instance':
          if (e.parsed) instances.set(instanceId(k.parseInstance(key)!), e.parsed as InstanceRecord)
          break
        case 'owner':
          if (e.parsed) owners.set(this.parseOwner(key)!, e.parsed as string)
          break
        case 'port': {
          const ref = k.parsePort(key)!
          if (e.parsed !== undefined) {
            ports.set(serviceKey(ref.app, ref.service), e.parsed as number)
            takenPorts.add(e.parsed as number)
          }
          break
        }
        case 'portOwner':
          takenPorts.add(k.parsePortOwner(key)!)
          break
        case 'volumeHome':
          if (e.parsed) volumeHomes.set(instanceId(k.parseVolumeHome(key)!), e.parsed as VolumeHomeRecord)
          break
        case 'secret':
        case 'config': {
          const ref = k.parseSecretOrConfig(key)!
          if (e.kind === 'secret' && e.parsed) secrets.set(`${ref.app}/${ref.name}`, e.parsed as SecretRecord)
          if (e.kind === 'config' && e.parsed) configs.set(`${ref.app}/${ref.name}`, e.parsed as ConfigRecord)
          break
        }
        case 'policy':
          break
      }
    }
    return {
      keys: k, manifests, controls, statuses, hosts, unplaceable, assignments, instances, policy: this.policy, owners,
      ports, takenPorts, ...(this.portRange ? { portRange: this.portRange } : {}), volumeHomes, secrets, configs, now,
    }
  }

  /** Whether a key is the status of some manifest (the scheduler's own output). */
  isStatus(key: string): boolean {
    return this.parseStatus(key) !== undefined
  }

  private remove(key: string): void {
    const e = this.entries.get(key)
    this.entries.delete(key)
    if (e?.kind === 'policy') {
      this.policy = undefined
      this.policyVersion++
    }
  }

  /** The value of a key of `kind` (cached-records.ts); a new valid policy is taken here. */
  private read(kind: Kind, key: string, kv: CachedKv): unknown {
    const parsed = readCached(kind, key, kv.value, this.keys, what => this.report(key, kv.modRevision, what))
    if (kind === 'policy') {
      const r = parsed as ReturnType<typeof parsePolicy>
      if (r.ok) {
        this.policy = r.policy
        this.policyVersion++
      } else if (this.junk.first(key, kv.modRevision)) {
        this.log?.error({ key, errors: r.errors.slice(0, 20) }, 'the cluster policy is invalid; keeping the last valid one')
      }
    }
    return parsed
  }

  /** A key under a watched prefix the scheduler cannot use: logged once. */
  private unusable(key: string, revision: number): void {
    this.report(key, revision, 'a key the scheduler cannot use (no valid app, name, host or index, or of no kind it reads): ignored')
  }

  private report(key: string, revision: number, what: string): void {
    if (this.junk.first(key, revision)) this.log?.warn({ key: shown(key), revision }, what)
  }

  private parseStatus(key: string): { app: string; name: string } | undefined {
    if (!key.startsWith(this.keys.apps)) return undefined
    const m = /^([^/]+)\/([^/]+)\/status$/.exec(key.slice(this.keys.apps.length))
    return m && isStatusSafeSegment(m[1]!) && isStatusSafeSegment(m[2]!) ? { app: m[1]!, name: m[2]! } : undefined
  }

  private parseOwner(key: string): string | undefined {
    if (!key.startsWith(this.keys.owners)) return undefined
    const app = key.slice(this.keys.owners.length)
    return isName(app) ? app : undefined
  }
}
