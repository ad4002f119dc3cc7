// The scheduler's in-memory copy of the etcd keys it plans from, fed by its watches and
// by its own committed writes, and turned into the planner's input on demand. Values
// are parsed once, when they arrive; an unreadable value is kept as undefined.
import type {
  Assignment, ClusterPolicy, ControlRecord, HostRecord, InstanceRecord, KeyLayout, StatusRecord,
} from '../../schemas/index.js'
import type { CurrentAssignment, ManifestInput, ScheduleInput } from './plan-types.js'
import { instanceId, manifestId } from './plan-types.js'

export interface CachedKv {
  value: string
  modRevision: number
}

type Kind = 'manifest' | 'control' | 'status' | 'host' | 'assignment' | 'instance' | 'policy'

interface Entry extends CachedKv {
  kind: Kind
  parsed: unknown
}

export class ClusterCache {
  private readonly entries = new Map<string, Entry>()

  constructor(private readonly keys: KeyLayout) {}

  /** The prefixes (and single keys) whose every key the scheduler needs. */
  prefixes(): string[] {
    return [this.keys.apps, this.keys.hosts, this.keys.assignRoot, this.keys.instances, this.keys.policy]
  }

  /** Sets a key; returns whether anything the planner reads changed. */
  put(key: string, kv: CachedKv): boolean {
    const kind = this.kindOf(key)
    if (!kind) return false
    const before = this.entries.get(key)
    if (before && before.modRevision >= kv.modRevision && kv.modRevision > 0) return false
    if (before?.value === kv.value) {
      before.modRevision = kv.modRevision
      // A manifest put again unchanged still has a new revision for its status.
      return kind === 'manifest'
    }
    this.entries.set(key, { ...kv, kind, parsed: parse(kind, kv.value) })
    return true
  }

  /** Removes a key deleted at `revision` (unless it was written again since). */
  delete(key: string, revision = Infinity): boolean {
    const before = this.entries.get(key)
    if (!before || before.modRevision >= revision) return false
    return this.entries.delete(key)
  }

  /** Replaces everything under `prefix` with a fresh read. */
  replacePrefix(prefix: string, fresh: ReadonlyMap<string, CachedKv>): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix) && !fresh.has(key)) this.entries.delete(key)
    for (const [key, kv] of fresh) {
      this.entries.delete(key)
      this.put(key, kv)
    }
  }

  kindOf(key: string): Kind | undefined {
    const k = this.keys
    if (key === k.policy) return 'policy'
    if (k.parseManifest(key)) return 'manifest'
    if (k.parseControl(key)) return 'control'
    if (this.parseStatus(key)) return 'status'
    if (k.parseHost(key)) return 'host'
    if (k.parseAssignment(key)) return 'assignment'
    if (k.parseInstance(key)) return 'instance'
    return undefined
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
    let policy: ClusterPolicy | undefined
    for (const [key, e] of this.entries) {
      switch (e.kind) {
        case 'manifest':
          manifests.push({ ...k.parseManifest(key)!, text: e.value, revision: e.modRevision })
          break
        case 'control':
          if (isObject(e.parsed)) controls.set(manifestId(k.parseControl(key)!), e.parsed as unknown as ControlRecord)
          break
        case 'status':
          if (isObject(e.parsed)) statuses.set(manifestId(this.parseStatus(key)!), e.parsed as unknown as StatusRecord)
          break
        case 'host': {
          // An unreadable host record still proves the host alive; it just offers no labels.
          const id = k.parseHost(key)!
          const h = (isObject(e.parsed) ? e.parsed : {}) as Partial<HostRecord>
          hosts.push({
            address: '', engineVersion: '', startedAt: '', ...h, id,
            labels: isObject(h.labels) ? h.labels : {},
            cpus: typeof h.cpus === 'number' ? h.cpus : 0,
            memory: typeof h.memory === 'number' ? h.memory : 0,
          })
          break
        }
        case 'assignment': {
          const ref = k.parseAssignment(key)!
          assignments.push({ ...ref, value: readableAssignment(e.parsed) })
          break
        }
        case 'instance':
          if (isObject(e.parsed)) instances.set(instanceId(k.parseInstance(key)!), e.parsed as unknown as InstanceRecord)
          break
        case 'policy':
          if (isObject(e.parsed)) policy = e.parsed as unknown as ClusterPolicy
          break
      }
    }
    return { keys: k, manifests, controls, statuses, hosts, assignments, instances, policy, now }
  }

  /** Whether a key is the status of some manifest (the scheduler's own output). */
  isStatus(key: string): boolean {
    return this.parseStatus(key) !== undefined
  }

  private parseStatus(key: string): { app: string; name: string } | undefined {
    if (!key.startsWith(this.keys.apps)) return undefined
    const m = /^([^/]+)\/([^/]+)\/status$/.exec(key.slice(this.keys.apps.length))
    return m ? { app: m[1]!, name: m[2]! } : undefined
  }
}

function parse(kind: Kind, value: string): unknown {
  if (kind === 'manifest') return undefined // validated by the planner, with errors for the user
  try {
    return JSON.parse(value)
  } catch {
    return undefined
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function readableAssignment(v: unknown): Assignment | undefined {
  if (!isObject(v)) return undefined
  const a = v as Partial<Assignment>
  return isObject(a.spec) && typeof a.specHash === 'string' && typeof a.revision === 'number' ? (a as Assignment) : undefined
}
