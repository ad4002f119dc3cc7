// xCAT's lifecycle verbs as changes to a ControlRecord (pure), and the run state a control
// record asks of an instance: the builder, dokkaacfg and the scheduler share them. The scheduler merges the
// record into assignments and the owning conductor carries it out, so a verb works on any host.
import type { ControlRecord, DesiredRunState, InstanceRecord, InstanceState } from './records.js'

export const VERBS = ['start', 'stop', 'restart', 'pause', 'unpause'] as const
export type Verb = typeof VERBS[number]

const TARGET: Record<Exclude<Verb, 'restart'>, DesiredRunState> = {
  start: 'running', stop: 'stopped', pause: 'paused', unpause: 'running',
}

/** The control record after a verb on a whole manifest (index undefined) or one instance. */
export function applyVerb(current: ControlRecord | undefined, verb: Verb, index?: number): ControlRecord {
  const next: ControlRecord = structuredClone(current ?? {})
  if (index === undefined) {
    if (verb === 'restart') {
      next.restartGeneration = (next.restartGeneration ?? 0) + 1
      next.state = 'running'
    } else {
      next.state = TARGET[verb]
    }
    // A verb on the whole manifest means all of it: per-instance states give way.
    for (const inst of Object.values(next.instances ?? {})) delete inst.state
  } else {
    const instances = next.instances ?? {}
    const inst = instances[String(index)] ?? {}
    if (verb === 'restart') {
      inst.restartGeneration = (inst.restartGeneration ?? 0) + 1
      inst.state = 'running'
    } else {
      inst.state = TARGET[verb]
    }
    instances[String(index)] = inst
    next.instances = instances
  }
  return prune(next)
}

/** What a manifest or instance is asked to be: per-instance state overrides the manifest's. */
export function desiredState(control: ControlRecord | undefined, index?: number): DesiredRunState {
  const own = index === undefined ? undefined : control?.instances?.[String(index)]?.state
  return own ?? control?.state ?? 'running'
}

export interface InstanceStateReport {
  index: number
  desired: DesiredRunState
  actual: InstanceState | 'absent'
  host?: string
  /** True when the conductor reports what was asked. */
  converged: boolean
}

/** xCAT's `state`: desired and actual per instance, for `scale` instances plus any still reported. */
export function stateReport(scale: number, control: ControlRecord | undefined, instances: (InstanceRecord & { index: number })[]): InstanceStateReport[] {
  const byIndex = new Map(instances.map(i => [i.index, i]))
  const indexes = new Set<number>([...Array.from({ length: scale }, (_, i) => i), ...byIndex.keys()])
  return [...indexes].sort((a, b) => a - b).map(index => {
    const inst = byIndex.get(index)
    const desired = index < scale ? desiredState(control, index) : 'stopped'
    const actual = inst?.state ?? 'absent'
    const converged = desired === 'running' ? actual === 'running'
      : desired === 'paused' ? actual === 'paused'
      : actual === 'absent' || actual === 'stopped' || actual === 'exited'
    return { index, desired, actual, host: inst?.host, converged }
  })
}

function prune(c: ControlRecord): ControlRecord {
  for (const [k, v] of Object.entries(c.instances ?? {})) {
    if (v.state === undefined && v.restartGeneration === undefined) delete c.instances![k]
  }
  if (c.instances && Object.keys(c.instances).length === 0) delete c.instances
  return c
}
