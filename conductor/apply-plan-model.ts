// A model of what the driver does to an engine, as a pure function over container
// lists. Property tests apply plans to it to check reconcile's promises without Docker.
// Every step takes effect at once here (a graceful stop included); a new container comes
// up with `newHealth` (undefined: no check), so tests can play a check that is not yet passed.
import { containerName, type HealthState } from '../schemas/index.js'
import { besideName, instanceLabels } from './container-options.js'
import type { ActualContainer, DesiredInstance, Plan } from './model.js'
import { refKey } from './model.js'

export function modelLabels(hostId: string, d: DesiredInstance): Record<string, string> {
  return instanceLabels(d.spec, d.specHash, d.ref, hostId)
}

const refOf = (c: ActualContainer) => `${c.labels['io.dokkaa.app']}/${c.labels['io.dokkaa.name']}/${c.labels['io.dokkaa.instance']}`

export function applyPlanModel(hostId: string, actual: ActualContainer[], plan: Plan, now: number, newId: () => string, newHealth?: HealthState): ActualContainer[] {
  let out = actual.map(c => ({ ...c }))
  const byId = (id: string) => out.find(c => c.id === id)
  const create = (d: DesiredInstance) => {
    const state = d.run === 'stopped' ? 'created' : d.run === 'paused' ? 'paused' : 'running'
    // Beside another container of the instance, the new one cannot have the canonical name yet.
    const taken = out.some(c => refOf(c) === refKey(d.ref) && c.labels['io.dokkaa.host'] === hostId)
    const name = taken ? besideName(containerName(d.ref), d.specHash) : containerName(d.ref)
    out.push({
      id: newId(), name, labels: modelLabels(hostId, d), state, createdAt: now, restartGeneration: d.restartGeneration,
      ...(state === 'running' && newHealth ? { health: newHealth } : {}),
    })
  }
  for (const step of plan.steps) {
    switch (step.kind) {
      case 'create': create(step.desired); break
      case 'replace':
        out = out.filter(c => c.id !== step.containerId)
        create(step.desired)
        break
      case 'remove':
      case 'retire':
        out = out.filter(c => c.id !== step.containerId)
        break
      case 'rename': byId(step.containerId)!.name = containerName(step.ref); break
      case 'start': {
        const c = byId(step.containerId)!
        c.state = step.thenPause ? 'paused' : 'running'
        c.stoppedByUs = false
        break
      }
      case 'restart': {
        const c = byId(step.containerId)!
        c.state = 'running'
        c.restartGeneration = step.generation
        if (c.health !== undefined) c.health = newHealth ?? 'starting'
        break
      }
      case 'stop': { const c = byId(step.containerId)!; c.state = 'exited'; c.exitCode = 137; c.stoppedByUs = true; delete c.health; break }
      case 'pause': byId(step.containerId)!.state = 'paused'; break
      case 'unpause': byId(step.containerId)!.state = 'running'; break
    }
  }
  return out
}
