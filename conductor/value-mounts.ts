// Where an instance's secrets and configs live on the host and how they reach its container,
// as pure functions. Each container-to-be gets its own directory under the secrets base dir
// (--secrets-dir, a tmpfs), named after its instance and spec hash — the spec hash covers the
// versions, so two containers of one instance (start-first) never share one, and a
// container created again for the same spec finds the same files:
//
//   <base>/<host>/<app>---<name>---<index>---<specHash>/   0700
//       secrets/<secret>                                    0400  -> /run/secrets (read-only)
//       configs/<config>                                    0444  -> each config path (read-only)
//
// The container sees the files through read-only bind mounts: `docker inspect` shows the
// source path only, and nothing of a value is in its env or labels.
import type { ContainerSpec, InstanceRef } from '../schemas/index.js'
import { SECRETS_DIR } from '../schemas/index.js'
import type { ContainerMount } from './docker-engine.js'

export const DEFAULT_SECRETS_DIR = '/run/dokkaa/secrets'
export const DIR_MODE = 0o700
export const SECRETS_SUBDIR_MODE = 0o500
export const SECRET_FILE_MODE = 0o400
export const CONFIG_FILE_MODE = 0o444
/** File systems that keep their files in memory only: a secret never reaches a disk. */
const MEMORY_FS = new Set(['tmpfs', 'ramfs'])

type Named = Pick<ContainerSpec, 'secrets' | 'configs'>

/** Who owns the secret files: the container's user when `dockerflags.User` is numeric
 * ("1000", "1000:1000"), so a process running as it can read them (mode 0400, as Swarm's
 * uid/gid); otherwise root. A user name means nothing outside the image's /etc/passwd, so
 * it cannot be resolved here (docs: use a numeric User). */
export function secretOwner(spec: Pick<ContainerSpec, 'dockerflags'>): { uid: number; gid: number } | undefined {
  const m = /^(\d{1,9})(?::(\d{1,9}))?$/.exec(spec.dockerflags?.User ?? '')
  if (!m) return undefined
  const uid = Number(m[1])
  return uid === 0 && m[2] === undefined ? undefined : { uid, gid: m[2] === undefined ? 0 : Number(m[2]) }
}

export function hasValues(spec: Named): boolean {
  return (spec.secrets ?? []).length > 0 || Object.keys(spec.configs ?? {}).length > 0
}

/** This host's part of the base dir: conductors sharing a machine keep apart. */
export function hostDirName(hostId: string): string {
  return hostId.replace(/[^a-zA-Z0-9_.-]/g, '_')
}

export function valueDirName(ref: InstanceRef, specHash: string): string {
  return `${ref.app}---${ref.name}---${ref.index}---${specHash}`
}

/** The instance and spec hash a directory is for; undefined for a name we never make. */
export function parseValueDirName(name: string): { ref: InstanceRef; specHash: string } | undefined {
  const m = /^([a-z0-9-]+)---([a-z0-9-]+)---(\d+)---([A-Za-z0-9]+)$/.exec(name)
  return m ? { ref: { app: m[1]!, name: m[2]!, index: Number(m[3]) }, specHash: m[4]! } : undefined
}

/** The bind mounts of a container whose files are in `dir`. */
export function valueMounts(dir: string, spec: Named): ContainerMount[] {
  const mounts: ContainerMount[] = []
  if ((spec.secrets ?? []).length > 0) mounts.push({ type: 'bind', source: `${dir}/secrets`, target: SECRETS_DIR, readOnly: true })
  for (const [path, config] of Object.entries(spec.configs ?? {})) {
    mounts.push({ type: 'bind', source: `${dir}/configs/${config}`, target: path, readOnly: true })
  }
  return mounts
}

/**
 * The file system type of the mount that holds `path`, from /proc/mounts (the longest mount
 * point that is `path` or one of its parents; the last one mounted there wins, as it hides
 * the others). `path` must be absolute and without symlinks (realpath it first).
 */
export function fsTypeAt(path: string, procMounts: string): string | undefined {
  let best: { point: string; type: string } | undefined
  for (const line of procMounts.split('\n')) {
    const [, rawPoint, type] = line.split(' ')
    if (!rawPoint || !type) continue
    const point = rawPoint.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))
    const under = point === '/' || path === point || path.startsWith(`${point}/`)
    if (under && (!best || point.length >= best.point.length)) best = { point, type }
  }
  return best?.type
}

export function isMemoryFs(type: string | undefined): boolean {
  return type !== undefined && MEMORY_FS.has(type)
}
