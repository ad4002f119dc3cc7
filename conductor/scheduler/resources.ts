// What one instance takes from a host: the manifest's resources in plain numbers, so
// placement can add and compare them. Absent resources take nothing (but still count
// as one instance for spreading).
import type { ContainerSpec } from '../../schemas/index.js'

export interface Need {
  cpus: number
  /** Bytes. */
  memory: number
}

export const NO_NEED: Need = { cpus: 0, memory: 0 }

// Docker's units are binary: 1k = 1024 bytes.
const UNIT: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }

/** Parses a size as the manifest schema allows it ("512m", "1.5g", "1048576") into bytes. */
export function parseMemory(text: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)([bkmg]?)$/i.exec(text.trim())
  if (!m) throw new RangeError(`not a memory size: "${text}" (use e.g. 512m, 1g or a number of bytes)`)
  return Math.round(Number(m[1]) * UNIT[m[2]!.toLowerCase()]!)
}

export function needOf(spec: Pick<ContainerSpec, 'resources'>): Need {
  const r = spec.resources
  if (!r) return NO_NEED
  return { cpus: r.cpus ?? 0, memory: r.memory === undefined ? 0 : parseMemory(r.memory) }
}

/** "512m", "1.5g": for messages a user reads. */
export function formatMemory(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'unlimited'
  for (const [unit, size] of [['g', 1024 ** 3], ['m', 1024 ** 2], ['k', 1024]] as const) {
    if (Math.abs(bytes) >= size) return `${Number((bytes / size).toFixed(2))}${unit}`
  }
  return `${bytes}b`
}

export function formatCpus(cpus: number): string {
  return Number.isFinite(cpus) ? `${Number(cpus.toFixed(3))}` : 'unlimited'
}
