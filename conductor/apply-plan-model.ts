// A model of what the driver does to an engine, as a pure function over container
// lists. Property tests apply plans to it to check reconcile's promises without Docker.
import { instanceLabels } from './container-options.js'
import type { ActualContainer, DesiredInstance, Plan } from './model.js'

export function modelLabels(hostId: string, d: DesiredInstance): Record<string, string> {
  return instanceLabels(d.spec, d.specHash, d.ref, hostId)
}

export function applyPlanModel(hostId: string, actual: ActualContainer[], plan: Plan, now: number, newId: () => string): ActualContainer[] {
  let out = actual.map(c => ({ ...c }))
  const byId = (id: string) => out.find(c => c.id === id)
  const create = (d: DesiredInstance) => {
    const state = d.run === 'stopped' ? 'created' : d.run === 'paused' ? 'paused' : 'running'
    out.push({ id: newId(), name: d.ref.name, labels: modelLabels(hostId, d), state, createdAt: now, restartGeneration: d.restartGeneration })
  }
  for (const step of plan.steps) {
    switch (step.kind) {
      case 'create': create(step.desired); break
      case 'replace':
        out = out.filter(c => c.id !== step.containerId)
        create(step.desired)
        break
      case 'remove': out = out.filter(c => c.id !== step.containerId); break
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
        break
      }
      case 'stop': { const c = byId(step.containerId)!; c.state = 'exited'; c.exitCode = 137; c.stoppedByUs = true; break }
      case 'pause': byId(step.containerId)!.state = 'paused'; break
      case 'unpause': byId(step.containerId)!.state = 'running'; break
    }
  }
  return out
}
