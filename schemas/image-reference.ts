// Docker's image reference grammar (distribution/reference), so an image field can only
// name a registry the way Docker itself reads it. The reference decides which host the
// engine contacts when it pulls: anything outside the grammar ("../../127.0.0.1:9/x")
// is refused here, before a conductor ever hands it to Docker.
//
//   reference  := name [ ":" tag ] [ "@" digest ]
//   name       := [ domain "/" ] path-component [ "/" path-component ]*
//   domain     := host [ ":" port ]           (only when the first component has "." or ":" or is "localhost")
//   path-comp  := [a-z0-9]+ ( ( "." | "_" | "__" | "-"* ) [a-z0-9]+ )*
//   tag        := [\w][\w.-]{0,127}
//   digest     := algorithm ":" hex (at least 32 hex digits)

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])'
const DOMAIN = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]{1,5})?`
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*'
const TAG = '[\\w][\\w.-]{0,127}'
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}'

const DOMAIN_RE = new RegExp(`^${DOMAIN}$`)
const PATH_COMPONENT_RE = new RegExp(`^${PATH_COMPONENT}$`)
const TAG_RE = new RegExp(`^${TAG}$`)
const DIGEST_RE = new RegExp(`^${DIGEST}$`)

/** Docker refuses repository names longer than this. */
export const MAX_IMAGE_NAME_LENGTH = 255

export interface ImageReference {
  /** The registry host[:port] the engine pulls from; undefined means Docker Hub. */
  registry?: string
  /** Repository path components, e.g. ["dokkaa", "busybox"]. */
  path: string[]
  tag?: string
  digest?: string
}

export type ImageReferenceResult = { ok: true; ref: ImageReference } | { ok: false; message: string }

const HINT = 'use a Docker image reference like "nginx:1.25", "registry.example:5000/team/app:v2" or "app@sha256:<hex>"'

/** Parses an image reference by Docker's grammar; the message says which part is wrong. */
export function parseImageReference(input: string): ImageReferenceResult {
  const bad = (why: string): ImageReferenceResult => ({ ok: false, message: `image ${JSON.stringify(input.slice(0, 100))} ${why}; ${HINT}` })
  if (input.length === 0) return bad('is empty')
  let rest = input
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at >= 0) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (!DIGEST_RE.test(digest)) return bad('has an invalid digest after "@"')
  }
  let tag: string | undefined
  const lastColon = rest.lastIndexOf(':')
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1)
    rest = rest.slice(0, lastColon)
    if (!TAG_RE.test(tag)) return bad('has an invalid tag (letters, digits, "_", "." and "-", at most 128)')
  }
  if (rest.length === 0) return bad('has no repository name')
  if (rest.length > MAX_IMAGE_NAME_LENGTH) return bad(`has a repository name longer than ${MAX_IMAGE_NAME_LENGTH} characters`)
  const parts = rest.split('/')
  let registry: string | undefined
  const first = parts[0]!
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    if (!DOMAIN_RE.test(first)) return bad(`names an invalid registry host "${first.slice(0, 100)}"`)
    const port = first.includes(':') ? Number(first.slice(first.indexOf(':') + 1)) : undefined
    if (port !== undefined && (port < 1 || port > 65535)) return bad(`names registry port ${port}, outside 1-65535`)
    registry = first
    parts.shift()
  }
  for (const p of parts) {
    if (!PATH_COMPONENT_RE.test(p)) {
      return bad(`has an invalid path component "${p.slice(0, 100)}" (lowercase letters and digits, separated by ".", "_", "__" or "-")`)
    }
  }
  return { ok: true, ref: { ...(registry ? { registry } : {}), path: parts, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) } }
}

/** True when `input` is a valid Docker image reference. */
export function isImageReference(input: unknown): input is string {
  return typeof input === 'string' && parseImageReference(input).ok
}
