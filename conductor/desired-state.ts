// Assignments as the scheduler writes them, turned into what reconcile wants.
import type { Assignment, InstanceRef, ServiceSpec } from '../schemas/index.js'
import type { DesiredInstance } from './model.js'

/** undefined for a value that is not an assignment (logged by the caller, never acted on). */
export function desiredFromAssignment(ref: InstanceRef, value: string): DesiredInstance | undefined {
  let a: Assignment
  try {
    a = JSON.parse(value) as Assignment
  } catch {
    return undefined
  }
  if (!a || typeof a !== 'object' || !a.spec || typeof a.spec.image !== 'string' || typeof a.specHash !== 'string') return undefined
  // The scheduler writes normalized specs; accept the short service form anyway ({"web": 80}).
  const services: Record<string, ServiceSpec> = {}
  for (const [svc, v] of Object.entries((a.spec.services ?? {}) as Record<string, number | ServiceSpec>)) {
    services[svc] = typeof v === 'number' ? { port: v } : v
  }
  const spec = { ...a.spec, services, restart: a.spec.restart ?? 'always' }
  return { ref, spec, specHash: a.specHash, run: a.run ?? 'running', restartGeneration: a.restartGeneration ?? 0 }
}
