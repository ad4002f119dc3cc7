// Docker labels Dokkaa puts on every container it creates, and its naming rule.
// A conductor only ever touches containers whose LABELS.host is its own host id.
import type { InstanceRef } from './keys.js'

export const LABELS = {
  app: 'io.dokkaa.app',
  name: 'io.dokkaa.name',
  instance: 'io.dokkaa.instance',
  host: 'io.dokkaa.host',
  spec: 'io.dokkaa.spec',
  /** On a Docker volume: which of the instance's volumes it is. */
  volume: 'io.dokkaa.volume',
} as const

/** `<app>---<name>` for instance 0 (the seed's dummy---nginx), `<app>---<name>---<i>` otherwise. */
export function containerName(r: InstanceRef): string {
  return r.index === 0 ? `${r.app}---${r.name}` : `${r.app}---${r.name}---${r.index}`
}

/** Reads the instance a container stands for from its labels; undefined for containers not ours. */
export function instanceFromLabels(labels: Record<string, string> | undefined): (InstanceRef & { host: string; spec: string }) | undefined {
  if (!labels) return undefined
  const app = labels[LABELS.app]
  const name = labels[LABELS.name]
  const index = Number(labels[LABELS.instance])
  const host = labels[LABELS.host]
  if (!app || !name || !host || !Number.isInteger(index) || index < 0) return undefined
  return { app, name, index, host, spec: labels[LABELS.spec] ?? '' }
}
