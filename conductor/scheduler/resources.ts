// What one instance takes from a host: the manifest's resources in plain numbers, so
// placement can add and compare them. Absent resources take nothing (but still count
// as one instance for spreading).
import { parseMemory, type ContainerSpec } from '../../schemas/index.js'

export interface Need {
  cpus: number
  /** Bytes. */
  memory: number
}

export const NO_NEED: Need = { cpus: 0, memory: 0 }

export { parseMemory, formatMemory } from '../../schemas/index.js'

export function needOf(spec: Pick<ContainerSpec, 'resources'>): Need {
  const r = spec.resources
  if (!r) return NO_NEED
  return { cpus: r.cpus ?? 0, memory: r.memory === undefined ? 0 : parseMemory(r.memory) }
}

export function formatCpus(cpus: number): string {
  return Number.isFinite(cpus) ? `${Number(cpus.toFixed(3))}` : 'unlimited'
}
