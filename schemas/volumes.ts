// Volumes: what a manifest's `volumes` asks for, resolved to mounts, and where an
// instance's data lives. A named volume is one Docker volume per instance, on the host
// where the instance first ran (its "home", written by the scheduler at placement in
// /volumes/<app>/<name>/<index>); the instance is pinned there for as long as the record
// says so, because the data cannot follow it. A `hostPath` volume binds a host directory
// and is allowed only under a path the cluster policy lists (allowHostPaths). Pure.
import type { InstanceRef } from './keys.js'
import type { ContainerSpec, ManifestError, VolumeSpec } from './manifest.js'

/** A volume of a spec as the conductor mounts it. */
export type ResolvedVolume =
  | { kind: 'named'; name: string; path: string; readOnly: boolean }
  | { kind: 'bind'; name: string; path: string; hostPath: string; readOnly: boolean }

/** At most this many volumes per manifest. */
export const MAX_VOLUMES = 16

export function resolveVolumes(spec: Pick<ContainerSpec, 'volumes'>): ResolvedVolume[] {
  return Object.entries(spec.volumes ?? {}).map(([name, v]) => {
    const s: VolumeSpec = typeof v === 'string' ? { path: v } : v
    return s.hostPath !== undefined
      ? { kind: 'bind', name, path: s.path, hostPath: s.hostPath, readOnly: s.readOnly ?? false }
      : { kind: 'named', name, path: s.path, readOnly: s.readOnly ?? false }
  })
}

/** The named volumes of a spec (the ones whose data lives on one host). */
export function namedVolumes(spec: Pick<ContainerSpec, 'volumes'>): string[] {
  return resolveVolumes(spec).filter(v => v.kind === 'named').map(v => v.name)
}

/** Two containers of one instance must never write one data directory at once: a spec
 * with a writable named volume (or bind) is always replaced stop-first. */
export function needsStopFirst(spec: Pick<ContainerSpec, 'volumes'>): boolean {
  return resolveVolumes(spec).some(v => !v.readOnly)
}

/** The Docker volume of an instance's named volume: `<app>---<name>---<index>---<volume>`
 * (labels on the volume say the same, exactly). */
export function dockerVolumeName(ref: InstanceRef, volume: string): string {
  return `${ref.app}---${ref.name}---${ref.index}---${volume}`
}

/** Whether `hostPath` is one of `allowed` or below one (whole path segments; no "..", which
 * validation already refuses). */
export function hostPathAllowed(hostPath: string, allowed: readonly string[]): boolean {
  const norm = (p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p)
  const path = norm(hostPath)
  return allowed.map(norm).some(a => a === '/' || path === a || path.startsWith(`${a}/`))
}

/** Where an instance's named volumes live: /volumes/<app>/<name>/<index>, written by the scheduler. */
export interface VolumeHomeRecord {
  host: string
  /** When the scheduler placed the instance there (ISO 8601). */
  since: string
  /** The named volumes it had then (informational: `volume ls`). */
  volumes: string[]
  /** Set when the instance was started afresh on `host` because its old home was gone
   * (volumeFailover "recreate"): the old host, whose data was not carried. */
  recreatedFrom?: string
}

/** A home record from etcd text; undefined for anything of the wrong shape (junk written by hand). */
export function readVolumeHome(text: string): VolumeHomeRecord | undefined {
  let v: unknown
  try { v = JSON.parse(text) } catch { return undefined }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined
  const r = v as Record<string, unknown>
  if (typeof r['host'] !== 'string' || r['host'] === '' || typeof r['since'] !== 'string') return undefined
  if (!Array.isArray(r['volumes']) || !r['volumes'].every(x => typeof x === 'string')) return undefined
  if (r['recreatedFrom'] !== undefined && typeof r['recreatedFrom'] !== 'string') return undefined
  return {
    host: r['host'], since: r['since'], volumes: r['volumes'] as string[],
    ...(typeof r['recreatedFrom'] === 'string' ? { recreatedFrom: r['recreatedFrom'] } : {}),
  }
}

/** What the schema cannot say about `volumes`: sane container paths, one mount per path,
 * host paths only where the cluster policy allows. */
export function volumeProblems(
  volumes: Record<string, string | VolumeSpec> | undefined, tmpfs: Record<string, string> | undefined, allowHostPaths: readonly string[] | undefined,
): ManifestError[] {
  const errors: ManifestError[] = []
  const seen = new Map<string, string>(Object.keys(tmpfs ?? {}).map(p => [p, '/dockerflags/Tmpfs']))
  for (const v of resolveVolumes({ volumes: volumes ?? {} })) {
    const at = typeof volumes?.[v.name] === 'string' ? `/volumes/${v.name}` : `/volumes/${v.name}/path`
    if (!isCleanPath(v.path) || v.path === '/') {
      errors.push({ path: at, message: `an absolute path inside the container without "." or ".." segments, not "/" (got ${JSON.stringify(v.path)})` })
    } else if (seen.has(v.path)) {
      errors.push({ path: at, message: `${v.path} is mounted twice (also at ${seen.get(v.path)})` })
    } else {
      seen.set(v.path, at)
    }
    if (v.kind === 'bind') {
      const hp = `/volumes/${v.name}/hostPath`
      if (!isCleanPath(v.hostPath)) errors.push({ path: hp, message: `an absolute host path without "." or ".." segments (got ${JSON.stringify(v.hostPath)})` })
      else if (!hostPathAllowed(v.hostPath, allowHostPaths ?? [])) {
        errors.push({
          path: hp,
          message: allowHostPaths?.length
            ? `${v.hostPath} is not under a path the cluster policy allows (allowHostPaths: ${allowHostPaths.join(', ')})`
            : 'host paths are not allowed by the cluster policy (allowHostPaths lists none); use a named volume, or ask an operator to list the path in /config/policy allowHostPaths',
        })
      }
    }
  }
  return errors
}

function isCleanPath(p: string): boolean {
  return p.startsWith('/') && !p.split('/').some(s => s === '.' || s === '..') && !/[\0:,]/.test(p)
}
