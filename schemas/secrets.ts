// Secrets and configs: values an app's owner stores in etcd and its instances get as files.
// A secret is sealed (AES-256-GCM under the cluster key, kit/secret-box.ts) before it is
// written, so etcd, the scheduler and every etcd reader see only ciphertext; a conductor
// opens it when it creates a container and hands it over as a read-only file on a host
// tmpfs, mounted at /run/secrets/<name>. A config is plain text, versioned the same way,
// mounted as a file where the manifest says. Each write bumps the version; the scheduler
// carries the current versions (and values) in the assignment and in its spec hash, so a
// change rolls the instances that use it. Pure.
import type { ManifestError } from './manifest.js'

/** The largest secret value (bytes), and config value. */
export const MAX_SECRET_BYTES = 16 * 1024
export const MAX_CONFIG_BYTES = 32 * 1024
/** Secrets, configs per manifest. */
export const MAX_SECRETS = 8
export const MAX_CONFIGS = 8

/** Where a secret appears inside the container. */
export const SECRETS_DIR = '/run/secrets'

/** A sealed value: AES-256-GCM, the additional data binding it to its key and version. */
export interface SealedValue {
  alg: 'aes-256-gcm'
  /** Which cluster key sealed it: the first 16 hex digits of the key's SHA-256. */
  keyId: string
  iv: string
  tag: string
  data: string
}

/** /secrets/<app>/<name>: the current version of a secret. */
export interface SecretRecord {
  version: number
  createdAt: string
  updatedAt: string
  sealed: SealedValue
}

/** /configs/<app>/<name>: the current version of a config. */
export interface ConfigRecord {
  version: number
  createdAt: string
  updatedAt: string
  data: string
}

/** What an assignment carries of each secret and config its spec names (by name). */
export interface AssignedSecret { version: number; sealed: SealedValue }
export interface AssignedConfig { version: number; data: string }

/** The additional authenticated data of a sealed secret: a ciphertext copied to another
 * app, name or version does not open. */
export function secretAad(app: string, name: string, version: number): string {
  return `dokkaa-secret:${app}/${name}/${version}`
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function isVersion(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1
}

export function readSealed(v: unknown, maxBytes = MAX_SECRET_BYTES): SealedValue | undefined {
  if (!isObject(v) || v['alg'] !== 'aes-256-gcm') return undefined
  const { keyId, iv, tag, data } = v
  if (typeof keyId !== 'string' || !/^[0-9a-f]{16}$/.test(keyId)) return undefined
  if (typeof iv !== 'string' || typeof tag !== 'string' || typeof data !== 'string') return undefined
  if (!B64.test(iv) || !B64.test(tag) || !B64.test(data) || data.length > Math.ceil(maxBytes / 3) * 4 + 4) return undefined
  return { alg: 'aes-256-gcm', keyId, iv, tag, data }
}

/** A secret record from etcd text; undefined for anything of the wrong shape. */
export function readSecretRecord(text: string): SecretRecord | undefined {
  let v: unknown
  try { v = JSON.parse(text) } catch { return undefined }
  if (!isObject(v) || !isVersion(v['version']) || typeof v['createdAt'] !== 'string' || typeof v['updatedAt'] !== 'string') return undefined
  const sealed = readSealed(v['sealed'])
  return sealed && { version: v['version'], createdAt: v['createdAt'], updatedAt: v['updatedAt'], sealed }
}

/** A config record from etcd text; undefined for anything of the wrong shape. */
export function readConfigRecord(text: string): ConfigRecord | undefined {
  let v: unknown
  try { v = JSON.parse(text) } catch { return undefined }
  if (!isObject(v) || !isVersion(v['version']) || typeof v['createdAt'] !== 'string' || typeof v['updatedAt'] !== 'string') return undefined
  if (typeof v['data'] !== 'string' || Buffer.byteLength(v['data']) > MAX_CONFIG_BYTES) return undefined
  return { version: v['version'], createdAt: v['createdAt'], updatedAt: v['updatedAt'], data: v['data'] }
}

/** What the schema cannot say about `secrets` and `configs`: config files at clean absolute
 * paths, none under /run/secrets, none where a volume or tmpfs is mounted. */
export function secretAndConfigProblems(
  configs: Record<string, string> | undefined, mounted: readonly string[],
): ManifestError[] {
  const errors: ManifestError[] = []
  for (const path of Object.keys(configs ?? {})) {
    const at = `/configs/${path.replace(/~/g, '~0').replace(/\//g, '~1')}`
    if (!path.startsWith('/') || path.endsWith('/') || path.split('/').some(s => s === '.' || s === '..') || /[\0:,]/.test(path)) {
      errors.push({ path: at, message: `a config is mounted at an absolute file path without "." or ".." segments (got ${JSON.stringify(path)})` })
    } else if (path === SECRETS_DIR || path.startsWith(`${SECRETS_DIR}/`)) {
      errors.push({ path: at, message: `${SECRETS_DIR} is where secrets are mounted; put the config elsewhere` })
    } else if (mounted.some(m => path === m || path.startsWith(`${m}/`))) {
      errors.push({ path: at, message: `${path} is inside a volume or tmpfs mount of this manifest; put the config elsewhere` })
    }
  }
  return errors
}
