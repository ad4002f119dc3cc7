// The scheduler's pure core: from everything it reads in etcd (manifests, controls,
// hosts, assignments, instances, statuses) to the writes that carry out its decision.
// Manifests are planned one after another in name order, each seeing the load the ones
// before it left, so the same input always gives the same plan.
import {
  allocatePorts, assignedSpecHash, DEFAULT_PORT_RANGE, needsStopFirst, parseLink, resolveUpdate, serviceKey,
  type Assignment, type HostRecord, type InstanceRecord, type KeyLayout,
} from '../../schemas/index.js'
import { checkManifest } from './check-manifest.js'
import { ownershipProblems, type OwnedManifest } from './ownership.js'
import { isReady, planManifest, type Slot, type Target } from './plan-manifest.js'
import { shiftLoad, type Load } from './placement.js'
import {
  instanceId, manifestId, type CurrentAssignment, type ScheduleInput, type SchedulePlan,
} from './plan-types.js'
import { needOf } from './resources.js'
import { computeStatus, sameStatus } from './status.js'
import { homesByManifest } from './volume-homes.js'
import { resolveValues } from './secret-values.js'
import { imagePinOf, withImagePin } from './image-pin.js'

export function planSchedule(input: ScheduleInput): SchedulePlan {
  const { keys } = input
  const sortedHosts = [...input.hosts].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  const alive = new Set(sortedHosts.map(h => h.id))
  // A host whose record is unreadable is alive (its lease holds) but takes no instances:
  // nothing says what it is, and a record written straight into etcd has no conductor.
  const hosts = sortedHosts.filter(h => !input.unplaceable?.has(h.id))
  const homeWrites: NonNullable<SchedulePlan['homes']> = []
  const plan: SchedulePlan = { ports: [], puts: [], homes: homeWrites, deletes: [], statuses: [], events: [] }
  const homes = homesByManifest(input.volumeHomes)

  const manifests = new Map(input.manifests.map(m => [manifestId(m), m]))
  const groups = groupSlots(input.assignments, alive, input.instances, keys, plan.deletes)
  const ids = [...new Set([...manifests.keys(), ...groups.keys(), ...input.statuses.keys()])].sort()

  const records = { ...(input.secrets ? { secrets: input.secrets } : {}), ...(input.configs ? { configs: input.configs } : {}) }
  const targets = new Map<string, Target>()
  const owned: OwnedManifest[] = []
  for (const id of ids) {
    const m = manifests.get(id)
    if (!m) { targets.set(id, { kind: 'deleted' }); continue }
    const { result, spec } = m.checked ?? checkManifest(m, input.policy)
    if (!result.ok) { targets.set(id, { kind: 'invalid', errors: result.errors }); continue }
    // A secret or config the manifest names but its app lacks: refused like an invalid
    // manifest (what runs keeps running); the versions it finds are part of the hash.
    const values = resolveValues(m.app, spec!, records)
    if (!values.ok) { targets.set(id, { kind: 'invalid', errors: values.errors }); continue }
    const constraints = result.manifest.constraints ?? {}
    // Monitored rollouts (and rollback) are for manifests that ask: with `update` or `health`.
    const asks = result.manifest.update !== undefined || result.manifest.health !== undefined
    // Two containers of one instance must never write its volumes at once, whatever `order` says.
    const stopFirst = needsStopFirst(spec!)
    targets.set(id, {
      kind: 'valid', scale: result.manifest.scale, constraints,
      base: { spec: spec!, specHash: assignedSpecHash(spec!, values.values), revision: m.revision, constraints, ...values.values },
      ...(asks ? { update: resolveUpdate(result.manifest.update, { stopFirst }) } : {}),
      stopFirst, volumeFailover: result.manifest.volumeFailover ?? 'pin',
    })
    owned.push({ id, app: m.app, createRevision: m.createRevision ?? m.revision, scale: result.manifest.scale, spec: spec! })
  }
  // Links into other users' apps, and quotas: such a manifest is refused like an invalid
  // one (what it had deployed keeps running; the status says which link or quota).
  for (const [id, errors] of ownershipProblems(owned, input.owners, input.policy)) targets.set(id, { kind: 'invalid', errors })

  // What already runs where, before any decision: every assignment that stays on a live host.
  let load: Load = new Map()
  for (const [id, slots] of groups) {
    const target = targets.get(id)!
    for (const slot of slots.values()) {
      const stays = target.kind === 'invalid' || (target.kind === 'valid' && slot.index < target.scale)
      if (slot.alive && stays) load = shiftLoad(load, slot.host, id, needOf(slot.value.spec), 1)
    }
  }

  const provided = providedServices(targets, groups)
  // Stable proxy ports for every service that runs or is linked to, claimed in this
  // plan's write before the assignments that carry them.
  const ports = new Map(input.ports ?? [])
  const range = input.portRange ?? DEFAULT_PORT_RANGE
  const needed = [...provided, ...linkedServices(targets, groups)].filter(id => isPortable(keys, id))
  const allocation = allocatePorts(needed, ports, input.takenPorts ?? new Set(ports.values()), range)
  for (const a of allocation.allocated) ports.set(serviceKey(a.app, a.service), a.port)
  plan.ports = allocation.allocated
  const exhausted = new Set(allocation.exhausted)

  for (const id of ids) {
    const target = targets.get(id)!
    const m = manifests.get(id)
    const ref = m ? { app: m.app, name: m.name } : refOf(id)
    const slots = groups.get(id) ?? new Map<number, Slot>()
    const previous = input.statuses.get(id)
    if (target.kind === 'valid') target.base = withImagePin(target.base, imagePinOf(target.base, ref, slots, input.instances))
    const outcome = planManifest({
      ref, target, slots, control: input.controls.get(id), hosts, instances: input.instances, keys, load, ports,
      ...(previous?.rollout ? { rollout: previous.rollout } : {}),
      homes: { homes: homes.get(id) ?? new Map(), alive }, values: records, now: input.now,
    })
    if (outcome.wakeAt !== undefined) plan.wakeAt = Math.min(plan.wakeAt ?? Infinity, outcome.wakeAt)
    for (const svc of servicesOf(ref.app, target, slots)) {
      if (exhausted.has(svc)) outcome.problems.push(`service ${svc}: no free proxy port left in ${range.from}-${range.to}; widen --port-range`)
    }
    load = outcome.load
    plan.puts.push(...outcome.puts)
    homeWrites.push(...outcome.homes)
    plan.deletes.push(...outcome.deletes)
    plan.events.push(...outcome.events)

    if (target.kind === 'deleted' || !m) {
      if (previous) plan.deletes.push(keys.status(ref))
      continue
    }
    const links = target.kind === 'valid' ? target.base.spec.links ?? [] : [...slots.values()][0]?.value.spec.links ?? []
    const status = computeStatus({
      ref, target, revision: m.revision, outcome, control: input.controls.get(id), instances: input.instances,
      alive, previous, links, provided, now: input.now,
    })
    if (!sameStatus(previous, status)) plan.statuses.push({ key: keys.status(ref), status })
  }

  // etcd refuses a transaction that touches one key twice: a put wins over a delete.
  const written = new Set(plan.puts.map(p => p.key))
  plan.deletes = [...new Set(plan.deletes)].filter(k => !written.has(k))
  return plan
}

// Groups stored assignments by manifest and keeps one per index: on a live host first,
// then the one whose instance answers, then by host id. The rest, and unreadable values,
// are deleted.
function groupSlots(
  assignments: readonly CurrentAssignment[], alive: ReadonlySet<string>,
  instances: ReadonlyMap<string, InstanceRecord>, keys: ScheduleInput['keys'], deletes: string[],
): Map<string, Map<number, Slot>> {
  const groups = new Map<string, Map<number, Slot>>()
  const ordered = [...assignments].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0))
  for (const a of ordered) {
    const key = keys.assignment(a.host, a)
    if (!a.value) { deletes.push(key); continue }
    const slot: Slot = { key, host: a.host, index: a.index, value: a.value as Assignment, alive: alive.has(a.host) }
    const id = manifestId(a)
    const slots = groups.get(id) ?? new Map<number, Slot>()
    groups.set(id, slots)
    const other = slots.get(a.index)
    if (!other) { slots.set(a.index, slot); continue }
    const inst = instances.get(instanceId(a))
    const rank = (s: Slot) => (s.alive ? 2 : 0) + (inst?.host === s.host && isReady(s, inst) ? 1 : 0)
    if (rank(slot) > rank(other)) {
      deletes.push(other.key)
      slots.set(a.index, slot)
    } else {
      deletes.push(slot.key)
    }
  }
  return groups
}

function providedServices(targets: ReadonlyMap<string, Target>, groups: ReadonlyMap<string, ReadonlyMap<number, Slot>>): Set<string> {
  const provided = new Set<string>()
  for (const [id, target] of targets) {
    const app = refOf(id).app
    const services = target.kind === 'valid'
      ? (target.scale > 0 ? Object.keys(target.base.spec.services) : [])
      : target.kind === 'invalid' ? [...(groups.get(id)?.values() ?? [])].flatMap(s => Object.keys(s.value.spec.services ?? {})) : []
    for (const s of services) provided.add(`${app}/${s}`)
  }
  return provided
}

// The services a manifest provides or links to, as "app/service".
function servicesOf(app: string, target: Target, slots: ReadonlyMap<number, Slot>): string[] {
  const specs = [...slots.values()].map(s => s.value.spec)
  if (target.kind === 'valid') specs.push(target.base.spec)
  return specs.flatMap(spec => [
    ...Object.keys(spec.services ?? {}).map(s => serviceKey(app, s)),
    ...(spec.links ?? []).map(l => { const t = parseLink(l, app); return serviceKey(t.app, t.service) }),
  ])
}

// Every link target of what is deployed or about to be: a link gets its port even before
// the service it names runs, so SERVICE_X_PORT is set from the start.
function linkedServices(targets: ReadonlyMap<string, Target>, groups: ReadonlyMap<string, ReadonlyMap<number, Slot>>): string[] {
  const out: string[] = []
  for (const [id, target] of targets) {
    if (target.kind === 'deleted') continue
    const app = refOf(id).app
    const specs = [...(groups.get(id)?.values() ?? [])].map(s => s.value.spec)
    if (target.kind === 'valid' && target.scale > 0) specs.push(target.base.spec)
    for (const spec of specs) for (const link of spec.links ?? []) {
      const t = parseLink(link, app)
      out.push(serviceKey(t.app, t.service))
    }
  }
  return out
}

function isPortable(keys: KeyLayout, id: string): boolean {
  const slash = id.indexOf('/')
  return keys.parsePort(keys.port(id.slice(0, slash), id.slice(slash + 1))) !== undefined
}

function refOf(id: string): { app: string; name: string } {
  const [app = '', name = ''] = id.split('/')
  return { app, name }
}

/** The live hosts' records, for callers that hold them keyed by id. */
export function liveHosts(records: ReadonlyMap<string, HostRecord>): HostRecord[] {
  return [...records.entries()].map(([id, h]) => ({ ...h, id }))
}
