// Private registries and the pull policy. An admin stores a registry's credentials once
// (/registries/<host>, the password sealed under the cluster key like a secret, so etcd
// and its readers see only ciphertext); a conductor opens them when it pulls from that
// host. A manifest's `pull` says when a conductor pulls: "missing" (default: only when
// the image is not on the host), "always" (on every container create, so a moved tag is
// followed) or "never". The digest an instance runs is recorded in its instance record;
// the scheduler pins it in the assignments of the same spec, so every instance of a
// rollout runs the same image, whatever the tag does meanwhile. Pure.
import type { SealedValue } from './secrets.js'
import { readSealed } from './secrets.js'
import { parseImageReference } from './image-reference.js'

export const PULL_POLICIES = ['missing', 'always', 'never'] as const
export type PullPolicy = typeof PULL_POLICIES[number]
export const DEFAULT_PULL_POLICY: PullPolicy = 'missing'

/** Docker Hub, as a registry host: where an image without a registry part comes from. */
export const DOCKER_HUB = 'docker.io'
/** The address Docker's engine expects as serveraddress for Docker Hub credentials. */
export const DOCKER_HUB_AUTH_ADDRESS = 'https://index.docker.io/v1/'

export const MAX_REGISTRY_USERNAME = 256
export const MAX_REGISTRY_PASSWORD_BYTES = 4096

/** /registries/<host>: the credentials conductors pull from <host> with. */
export interface RegistryCredentialRecord {
  username: string
  /** The password (or token), sealed under the cluster key with registryAad(host). */
  sealed: SealedValue
  createdAt: string
  updatedAt: string
}

/** What the API and CLI show of stored credentials: never the password. */
export interface RegistryCredentialView {
  host: string
  username: string
  createdAt: string
  updatedAt: string
}

/** The additional data of a sealed registry password: it opens only for its own host. */
export function registryAad(host: string): string {
  return `dokkaa-registry:${host}`
}

const HOST_COMPONENT = '(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])'
const REGISTRY_HOST_RE = new RegExp(`^${HOST_COMPONENT}(?:\\.${HOST_COMPONENT})*(?::[0-9]{1,5})?$`)

/** A registry host as an image reference names it: lowercase host[:port], or "docker.io". */
export function isRegistryHost(v: unknown): v is string {
  if (typeof v !== 'string' || v.length > 253 || !REGISTRY_HOST_RE.test(v)) return false
  const port = v.includes(':') ? Number(v.slice(v.indexOf(':') + 1)) : 1
  return port >= 1 && port <= 65535
}

/** The message for a host that is not one, naming the form. */
export function registryHostProblem(v: unknown): string | undefined {
  if (isRegistryHost(v)) return undefined
  return `registry host ${JSON.stringify(String(v).slice(0, 100))} is not a registry address: use the host[:port] an image reference names, in lowercase (e.g. "registry.example.com:5000", or "docker.io" for Docker Hub)`
}

/** The registry host an image is pulled from ("docker.io" for Docker Hub); undefined for a reference that is not one. */
export function registryOf(image: string): string | undefined {
  const parsed = parseImageReference(image)
  if (!parsed.ok) return undefined
  const host = parsed.ref.registry?.toLowerCase()
  return host === undefined || host === 'index.docker.io' || host === 'registry-1.docker.io' ? DOCKER_HUB : host
}

/** The repository as Docker writes it in an image's RepoDigests ("busybox", "docker.io/x/y" → "x/y", "localhost:5000/app"). */
export function repositoryOf(image: string): string | undefined {
  const parsed = parseImageReference(image)
  if (!parsed.ok) return undefined
  const host = registryOf(image)
  const path = parsed.ref.path.join('/')
  if (host !== DOCKER_HUB) return `${parsed.ref.registry}/${path}`
  return parsed.ref.path.length === 2 && parsed.ref.path[0] === 'library' ? parsed.ref.path[1]! : path
}

/** The digest ("sha256:…") of `image`'s repository among an image's RepoDigests, if it came from that registry. */
export function digestFor(image: string, repoDigests: readonly string[]): string | undefined {
  const repo = repositoryOf(image)
  if (repo === undefined) return undefined
  for (const rd of repoDigests) {
    const at = rd.lastIndexOf('@')
    if (at > 0 && rd.slice(0, at) === repo && /^sha256:[0-9a-f]{64}$/.test(rd.slice(at + 1))) return rd.slice(at + 1)
  }
  return undefined
}

/** The reference that names exactly `digest` of `image`'s repository: "repo@sha256:…" (the tag dropped). */
export function pinnedImage(image: string, digest: string): string {
  const parsed = parseImageReference(image)
  if (!parsed.ok) return image
  const name = [...(parsed.ref.registry ? [parsed.ref.registry] : []), ...parsed.ref.path].join('/')
  return `${name}@${digest}`
}

/** True for a digest the scheduler may pin: "sha256:" and 64 lowercase hex digits. */
export function isImageDigest(v: unknown): v is string {
  return typeof v === 'string' && /^sha256:[0-9a-f]{64}$/.test(v)
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** A credential record from etcd text; undefined for anything of the wrong shape. */
export function readRegistryRecord(text: string): RegistryCredentialRecord | undefined {
  let v: unknown
  try { v = JSON.parse(text) } catch { return undefined }
  if (!isObject(v) || typeof v['username'] !== 'string' || v['username'].length === 0 || v['username'].length > MAX_REGISTRY_USERNAME) return undefined
  if (typeof v['createdAt'] !== 'string' || typeof v['updatedAt'] !== 'string') return undefined
  const sealed = readSealed(v['sealed'])
  return sealed && { username: v['username'], sealed, createdAt: v['createdAt'], updatedAt: v['updatedAt'] }
}

/** Why a username cannot be stored, naming the rule; undefined when it can. */
export function registryUsernameProblem(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length === 0) return 'a registry username is required (--username)'
  if (v.length > MAX_REGISTRY_USERNAME) return `a registry username has at most ${MAX_REGISTRY_USERNAME} characters`
  // Basic auth joins user and password with ":"; a control character would end up in a header.
  if (/[:\p{Cc}]/u.test(v)) return 'a registry username cannot hold ":" or control characters'
  return undefined
}
