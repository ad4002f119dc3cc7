// A stable hash of what shapes a container. Scale, constraints, the rollout policy and
// the volume failover policy are left out: changing them moves or adds instances, or
// changes how the next rollout goes, but never replaces a running one.
import { createHash } from 'node:crypto'
import type { ContainerSpec, NormalizedManifest } from './manifest.js'

export function containerSpec(m: NormalizedManifest): ContainerSpec {
  const { scale: _scale, constraints: _constraints, update: _update, volumeFailover: _volumeFailover, ...spec } = m
  return spec
}

/** What of a spec shapes the container. The pull policy is left out (it says when to fetch the
 * image, not what runs), and so is a service's `tls`: HTTPS is the web router's, in front of
 * the container, so turning it on rolls nothing. */
function shapingPart(spec: ContainerSpec): object {
  const { pull: _pull, ...shaping } = spec
  if (!shaping.services) return shaping
  const services = Object.fromEntries(Object.entries(shaping.services).map(([name, svc]) => {
    const { tls: _tls, ...rest } = svc
    return [name, rest]
  }))
  return { ...shaping, services }
}

export function specHash(spec: ContainerSpec): string {
  return createHash('sha256').update(canonicalJson(shapingPart(spec))).digest('hex').slice(0, 16)
}

/** The hash of a spec together with the versions of the secrets and configs it mounts: a
 * new version is a new spec to roll out. Without any, the spec's own hash (no rollout on upgrade). */
export function assignedSpecHash(spec: ContainerSpec, versions: { secrets?: Record<string, { version: number }>; configs?: Record<string, { version: number }> }): string {
  const only = (m?: Record<string, { version: number }>) => Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k, v.version]))
  const secrets = only(versions.secrets)
  const configs = only(versions.configs)
  if (Object.keys(secrets).length === 0 && Object.keys(configs).length === 0) return specHash(spec)
  return createHash('sha256').update(canonicalJson({ spec: shapingPart(spec), secrets, configs })).digest('hex').slice(0, 16)
}

/** JSON with object keys sorted, so equal specs hash equally whatever order they were written in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}
