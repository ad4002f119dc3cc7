// The mounts of an instance's container, from its spec's volumes (schemas/volumes.ts
// resolves them). A named volume is the Docker volume `<app>---<name>---<index>---<volume>`
// (dockerVolumeName): the same name for every container the instance ever has on this
// host, so a restart, a replacement, a new conductor or a reboot finds the data where the
// last container left it. Docker creates it on first use, labelled like our containers so
// that `docker volume ls --filter label=…` tells whose it is; the conductor never removes
// one (scale-down and delete keep the data: retain). A bind mounts a host directory the
// cluster policy allowed (the scheduler checked it). Pure.
import type { ContainerSpec, InstanceRef } from '../schemas/index.js'
import { dockerVolumeName, LABELS, resolveVolumes } from '../schemas/index.js'
import type { ContainerMount } from './docker-engine.js'

/** The labels a named volume is created with: the instance, the volume, this host. */
export function volumeLabels(ref: InstanceRef, volume: string, hostId: string): Record<string, string> {
  return {
    [LABELS.app]: ref.app,
    [LABELS.name]: ref.name,
    [LABELS.instance]: String(ref.index),
    [LABELS.volume]: volume,
    [LABELS.host]: hostId,
  }
}

export function volumeMounts(spec: Pick<ContainerSpec, 'volumes'>, ref: InstanceRef, hostId: string): ContainerMount[] {
  return resolveVolumes(spec).map(v => v.kind === 'named'
    ? { type: 'volume', source: dockerVolumeName(ref, v.name), target: v.path, readOnly: v.readOnly, labels: volumeLabels(ref, v.name, hostId) }
    : { type: 'bind', source: v.hostPath, target: v.path, readOnly: v.readOnly })
}

/**
 * Docker's refusal of a bind whose host directory is missing ("invalid mount config for type
 * "bind": bind source path does not exist: /srv/x") names a path, not the manifest's volume:
 * the message with which volume it is and what to do, or undefined for any other message.
 */
export function explainMountError(message: string, spec: Pick<ContainerSpec, 'volumes'>, hostId: string): string | undefined {
  const missing = /bind source path does not exist: (.+)$/.exec(message)?.[1]
  if (missing === undefined) return undefined
  const trim = (p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p)
  const bind = resolveVolumes(spec).find(v => v.kind === 'bind' && trim(v.hostPath) === trim(missing))
  if (!bind) return undefined
  return `${message} (volume "${bind.name}": its hostPath ${missing} must exist on host ${hostId}; create it there, the instance is retried)`
}
