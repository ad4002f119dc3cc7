// Builders for the planner's unit and property tests, and a tiny simulation of the
// cluster around the planner: apply a plan to its input, let conductors report.
import {
  KeyLayout, type Assignment, type ControlRecord, type HostRecord, type InstanceRecord, type StatusRecord,
} from '../../schemas/index.js'
import { instanceId, manifestId, type ManifestInput, type ScheduleInput, type SchedulePlan } from './plan-types.js'

export const KEYS = new KeyLayout('/u')
export const NOW = Date.parse('2026-01-01T00:00:00Z')
export const GiB = 1024 ** 3

export function host(id: string, over: Partial<HostRecord> = {}): HostRecord {
  return {
    id, address: `10.0.0.${id.length}`, labels: {}, cpus: 4, memory: 8 * GiB,
    engineVersion: '20.10', startedAt: new Date(NOW).toISOString(), ...over,
  }
}

export function manifest(app: string, name: string, doc: object | string, revision = 10): ManifestInput {
  return { app, name, text: typeof doc === 'string' ? doc : JSON.stringify(doc), revision }
}

export function input(over: Partial<ScheduleInput> = {}): ScheduleInput {
  return {
    keys: KEYS, manifests: [], controls: new Map(), statuses: new Map(), hosts: [],
    assignments: [], instances: new Map(), now: NOW, ...over,
  }
}

export interface Placed { host: string; app: string; name: string; index: number; value: Assignment }

/** The assignments the input holds, as one flat list. */
export function placed(i: ScheduleInput): Placed[] {
  return i.assignments.filter((a): a is Placed => a.value !== undefined)
}

/** The input as it is once the plan was written to etcd. */
export function applyPlan(i: ScheduleInput, plan: SchedulePlan, now = i.now): ScheduleInput {
  const deleted = new Set(plan.deletes)
  const byKey = new Map(i.assignments.map(a => [KEYS.assignment(a.host, a), a]))
  for (const k of deleted) byKey.delete(k)
  for (const p of plan.puts) {
    const ref = KEYS.parseAssignment(p.key)!
    byKey.set(p.key, { ...ref, value: p.value })
  }
  const statuses = new Map(i.statuses)
  for (const [id] of statuses) {
    const [app = '', name = ''] = id.split('/')
    if (deleted.has(KEYS.status({ app, name }))) statuses.delete(id)
  }
  for (const s of plan.statuses) {
    const m = /\/apps\/([^/]+)\/([^/]+)\/status$/.exec(s.key)!
    statuses.set(`${m[1]}/${m[2]}`, s.status)
  }
  const ports = new Map(i.ports ?? [])
  const takenPorts = new Set(i.takenPorts ?? ports.values())
  for (const c of plan.ports ?? []) {
    ports.set(`${c.app}/${c.service}`, c.port)
    takenPorts.add(c.port)
  }
  const volumeHomes = new Map(i.volumeHomes ?? [])
  for (const h of plan.homes ?? []) volumeHomes.set(instanceId(KEYS.parseVolumeHome(h.key)!), h.value)
  return { ...i, assignments: [...byKey.values()], statuses, ports, takenPorts, volumeHomes, now }
}

/** Every live host's conductor reports its assignments as running (or in `state`). */
export function conductorsReport(i: ScheduleInput, state: InstanceRecord['state'] = 'running', only?: (p: Placed) => boolean): ScheduleInput {
  const live = new Set(i.hosts.map(h => h.id))
  const instances = new Map(i.instances)
  for (const a of placed(i)) {
    if (!live.has(a.host) || (only && !only(a))) continue
    instances.set(instanceId(a), instanceRecord(a.host, a.value.specHash, state))
  }
  return { ...i, instances }
}

export function instanceRecord(hostId: string, specHash: string, state: InstanceRecord['state'] = 'running', over: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    host: hostId, hostAddress: '10.0.0.1', containerId: 'c', containerName: 'n', state, specHash,
    ports: {}, restarts: 0, updatedAt: new Date(NOW).toISOString(), ...over,
  }
}

export function statusOf(i: ScheduleInput, app: string, name: string): StatusRecord | undefined {
  return i.statuses.get(manifestId({ app, name }))
}

export function controls(entries: Record<string, ControlRecord>): Map<string, ControlRecord> {
  return new Map(Object.entries(entries))
}

/** Runs plan → apply → report until nothing changes; returns the settled input and the rounds it took. */
export function settle(
  i: ScheduleInput, planner: (i: ScheduleInput) => SchedulePlan, maxRounds = 50,
): { state: ScheduleInput; rounds: number } {
  let state = conductorsReport(i)
  for (let round = 1; round <= maxRounds; round++) {
    const plan = planner(state)
    if (isIdle(plan)) return { state, rounds: round }
    state = conductorsReport(applyPlan(state, plan))
  }
  throw new Error(`did not settle in ${maxRounds} rounds`)
}

/** A plan that writes nothing. */
export function isIdle(plan: SchedulePlan): boolean {
  return !plan.ports?.length && !plan.homes?.length && plan.puts.length === 0 && plan.deletes.length === 0 && plan.statuses.length === 0
}

// --- health and time: conductors whose instances take their time to become healthy ---

/** How a simulated instance of an assignment behaves: healthy at once, never, or it crashes. */
export type Behaviour = 'healthy' | 'starting' | 'unhealthy' | 'failed' | 'restarting' | 'running'

/**
 * Conductors report every assignment as a real one would at time `i.now`: an instance that
 * already runs its assignment's spec keeps its record (and its healthySince); a new one
 * started now behaves as `behave` says (`running`: no health check at all).
 */
export function conductorsReportAt(i: ScheduleInput, behave: (a: Placed) => Behaviour): ScheduleInput {
  const live = new Set(i.hosts.map(h => h.id))
  const instances = new Map(i.instances)
  const at = new Date(i.now).toISOString()
  for (const a of placed(i)) {
    if (!live.has(a.host)) continue
    const before = instances.get(instanceId(a))
    const b = behave(a)
    const same = before && before.host === a.host && before.specHash === a.value.specHash
    if (same && b !== 'restarting' && before.state === stateOf(b) && before.health === healthOf(b)) continue
    const restarts = (before?.restarts ?? 0) + (b === 'restarting' ? 1 : 0)
    const record = instanceRecord(a.host, a.value.specHash, stateOf(b), { restarts, updatedAt: at })
    if (b !== 'failed') record.startedAt = at
    const health = healthOf(b)
    if (health) record.health = health
    if (health === 'healthy') record.healthySince = at
    if (health === 'unhealthy') record.healthError = 'GET /healthz: 503'
    if (b === 'failed') record.error = 'pull failed: not found'
    instances.set(instanceId(a), record)
  }
  return { ...i, instances }
}

function stateOf(b: Behaviour): InstanceRecord['state'] {
  return b === 'failed' ? 'failed' : b === 'restarting' ? 'restarting' : 'running'
}

function healthOf(b: Behaviour): InstanceRecord['health'] {
  return b === 'healthy' || b === 'starting' || b === 'unhealthy' ? b : undefined
}

/** Plan, write, let conductors report; when a plan has nothing to write, move the clock to its
 * wake-up (the loop's timer) or stop. Returns every state passed through. */
export function runInTime(
  i: ScheduleInput, planner: (i: ScheduleInput) => SchedulePlan, behave: (a: Placed) => Behaviour, maxRounds = 100,
): ScheduleInput[] {
  let state = conductorsReportAt(i, behave)
  const seen = [state]
  for (let round = 0; round < maxRounds; round++) {
    const plan = planner(state)
    const idle = isIdle(plan)
    if (idle && plan.wakeAt === undefined) return seen
    if (plan.wakeAt !== undefined && plan.wakeAt <= state.now) throw new Error(`wake-up ${plan.wakeAt} not after now ${state.now}`)
    state = idle ? { ...state, now: plan.wakeAt! } : applyPlan(state, plan)
    state = conductorsReportAt(state, behave)
    seen.push(state)
  }
  throw new Error(`did not settle in ${maxRounds} rounds`)
}
