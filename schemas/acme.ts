// HTTPS for web services (issue 12): the cluster's ACME settings and the records the
// builder (which orders certificates) and the ambassadors (which serve them) share.
// - /config/acme: the operator's {directory, email, caFile?, domain?}, checked here;
// - /tls/certs/<hostname>: a certificate and its key, sealed under the cluster key
//   (additional data "dokkaa-tls:<hostname>"), so any host's ambassador can serve any name;
// - /tls/challenges/<token>: an HTTP-01 key authorization (public by design: the ACME
//   server fetches it over plain HTTP), answered by every ambassador;
// - /tls/renew/<hostname>: an admin's request for a renewal now;
// - /tls/status: what the builder last did (config problems, per-name state).
// Pure.
import { isDnsLabel } from './names.js'
import { readSealed, type SealedValue } from './secrets.js'
import type { NormalizedManifest } from './manifest.js'
import { DEFAULT_DOMAIN } from './keys.js'

export interface AcmeConfig {
  /** The ACME server's directory URL (https). */
  directory: string
  /** The account's contact address. */
  email: string
  /** A PEM file of CA certificates the builder trusts for the directory's HTTPS (a private or test ACME server). */
  caFile?: string
  /** The web router's domain (the ambassadors' --domain): certificates name <app>.<domain> and <service>.<app>.<domain>. */
  domain: string
}

export type AcmeConfigResult = { ok: true; config: AcmeConfig } | { ok: false; errors: string[] }

const FIELDS = ['directory', 'email', 'caFile', 'domain']
const EMAIL = /^[^\s@<>,;"]{1,64}@[a-z0-9.-]{1,253}$/i

/** /config/acme's text, checked; every problem a sentence naming the field. */
export function parseAcmeConfig(text: string): AcmeConfigResult {
  let v: unknown
  try { v = JSON.parse(text) } catch (err) { return { ok: false, errors: [`not JSON: ${(err as Error).message}`] } }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, errors: ['must be a JSON object like {"directory": "https://acme.example/dir", "email": "ops@example.com"}'] }
  const o = v as Record<string, unknown>
  const errors: string[] = []
  for (const k of Object.keys(o)) if (!FIELDS.includes(k)) errors.push(`unknown field "${k.slice(0, 40)}"; allowed: ${FIELDS.join(', ')}`)
  const { directory, email, caFile } = o
  const domain = typeof o['domain'] === 'string' ? o['domain'].toLowerCase().replace(/\.$/, '') : o['domain'] ?? DEFAULT_DOMAIN
  if (typeof directory !== 'string' || !isHttpsUrl(directory)) errors.push('"directory" must be the ACME directory\'s https:// URL, like https://acme-v02.api.letsencrypt.org/directory')
  if (typeof email !== 'string' || !EMAIL.test(email)) errors.push('"email" must be a contact address like ops@example.com')
  if (caFile !== undefined && (typeof caFile !== 'string' || !caFile.startsWith('/') || caFile.length > 1024)) errors.push('"caFile" must be an absolute path to a PEM file of CA certificates')
  if (typeof domain !== 'string' || !isDomainName(domain) || !domain.includes('.')) errors.push('"domain" must be the ambassadors\' --domain, a name with at least two labels like apps.example.com')
  if (errors.length > 0) return { ok: false, errors }
  return { ok: true, config: { directory: directory as string, email: email as string, domain: domain as string, ...(caFile === undefined ? {} : { caFile: caFile as string }) } }
}

function isHttpsUrl(s: string): boolean {
  try { return new URL(s).protocol === 'https:' && s.length <= 2048 } catch { return false }
}

/** A lowercase DNS name of labels (at most 253 characters); what a certificate may be for. */
export function isDomainName(v: unknown): v is string {
  return typeof v === 'string' && v.length <= 253 && v.split('.').every(l => isDnsLabel(l))
}

/** A host name the web router serves and a certificate names: a domain name with at least two labels. */
export function isTlsHostname(v: unknown): v is string {
  return isDomainName(v) && v.includes('.')
}

/** The additional data of a sealed certificate: it opens only under its own name. */
export function tlsCertAad(hostname: string): string {
  return `dokkaa-tls:${hostname}`
}

/** The ACME account key's additional data. */
export const ACME_ACCOUNT_AAD = 'dokkaa-tls:acme-account'

/** /tls/certs/<hostname>: a certificate chain and key. `sealed` opens to TlsKeyPair's JSON. */
export interface TlsCertRecord {
  hostname: string
  /** The leaf's serial number (hex, upper case) and validity, ISO 8601: readable without the key. */
  serial: string
  notBefore: string
  notAfter: string
  updatedAt: string
  sealed: SealedValue
}

export interface TlsKeyPair { cert: string; key: string }

/** The largest sealed certificate + key (a long chain with an RSA 4096 key fits). */
export const MAX_TLS_PAIR_BYTES = 64 * 1024

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** A certificate record from etcd text; undefined for anything of the wrong shape. */
export function readTlsCertRecord(text: string): TlsCertRecord | undefined {
  let v: unknown
  try { v = JSON.parse(text) } catch { return undefined }
  if (!isObject(v) || !isTlsHostname(v['hostname'])) return undefined
  const { serial, notBefore, notAfter, updatedAt } = v
  if (typeof serial !== 'string' || !/^[0-9A-F]{1,64}$/.test(serial)) return undefined
  if (![notBefore, notAfter, updatedAt].every(d => typeof d === 'string' && !Number.isNaN(Date.parse(d)))) return undefined
  const sealed = readSealed(v['sealed'], MAX_TLS_PAIR_BYTES)
  return sealed && { hostname: v['hostname'], serial, notBefore: notBefore as string, notAfter: notAfter as string, updatedAt: updatedAt as string, sealed }
}

/** The opened pair, or undefined when it is not {cert, key} PEM text. */
export function readTlsKeyPair(plain: Buffer): TlsKeyPair | undefined {
  let v: unknown
  try { v = JSON.parse(plain.toString('utf8')) } catch { return undefined }
  if (!isObject(v) || typeof v['cert'] !== 'string' || typeof v['key'] !== 'string') return undefined
  if (!v['cert'].includes('-----BEGIN CERTIFICATE-----') || !v['key'].includes('PRIVATE KEY-----')) return undefined
  return { cert: v['cert'], key: v['key'] }
}

/** An HTTP-01 token: base64url (RFC 8555 §8.3), the last path segment of the challenge URL. */
export function isChallengeToken(v: unknown): v is string {
  return typeof v === 'string' && /^[A-Za-z0-9_-]{16,256}$/.test(v)
}

/** A key authorization: the token, ".", the account key's thumbprint (base64url). */
export function isKeyAuthorization(v: unknown): v is string {
  return typeof v === 'string' && /^[A-Za-z0-9_-]{16,256}\.[A-Za-z0-9_-]{16,128}$/.test(v)
}

/**
 * The names a manifest's web services with "tls": "auto" are served at, each of which
 * gets a certificate: <app>.<domain> (every web service of the app) and
 * <service>.<app>.<domain> — what the web router routes by (ambassador/service-table.ts).
 */
export function tlsNamesOf(app: string, m: Pick<NormalizedManifest, 'services'>, domain: string): string[] {
  const services = Object.entries(m.services ?? {}).filter(([, s]) => s.role === 'web' && s.tls === 'auto').map(([name]) => name)
  if (services.length === 0) return []
  return [`${app}.${domain}`, ...services.map(s => `${s}.${app}.${domain}`)].map(n => n.toLowerCase())
}
