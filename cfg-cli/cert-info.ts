// Reading certificates back: what `certs ls` shows and what the tests check. Parsing only,
// with node:crypto's X509Certificate — nothing here writes or signs (that is openssl's job,
// pki.ts), so a file of any origin can be inspected without running anything.
import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1'
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2'
const DAY_MS = 86_400_000

/** `ca`, the usages pki.ts issues, or `other` (a certificate made elsewhere). */
export type CertKind = 'ca' | 'server' | 'client' | 'server+client' | 'other'

export interface CertInfo {
  file: string
  /** The subject's CN ('' when it has none). */
  commonName: string
  subject: string
  issuer: string
  /** ISO 8601. */
  notBefore: string
  notAfter: string
  dnsNames: string[]
  ipAddresses: string[]
  /** Hex, as openssl prints it. */
  serial: string
  /** SHA-256 of the DER, colon-separated hex. */
  fingerprint: string
  isCa: boolean
  /** extendedKeyUsage OIDs; empty when the extension is absent. */
  extKeyUsage: string[]
  usage: CertKind
}

function loadCert(file: string): X509Certificate {
  return new X509Certificate(readFileSync(file))
}

/** Node prints a name one attribute per line ("CN=etcd-h1"); values with odd characters quoted. */
function commonNameOf(name: string): string {
  const line = name.split('\n').find(l => l.startsWith('CN='))
  return line ? unquote(line.slice(3)) : ''
}

function unquote(v: string): string {
  return v.startsWith('"') ? JSON.parse(v) as string : v
}

/** Node's subjectAltName: `DNS:a, IP Address:10.0.0.1`, an entry JSON-quoted when it holds ", " or quotes. */
export function parseSubjectAltName(san: string | undefined): { dnsNames: string[]; ipAddresses: string[] } {
  const dnsNames: string[] = []
  const ipAddresses: string[] = []
  for (const m of (san ?? '').matchAll(/([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g)) {
    const value = unquote(m[2]!)
    if (m[1] === 'DNS') dnsNames.push(value)
    else if (m[1] === 'IP Address') ipAddresses.push(value)
  }
  return { dnsNames, ipAddresses }
}

function kindOf(isCa: boolean, eku: string[]): CertKind {
  if (isCa) return 'ca'
  const server = eku.includes(SERVER_AUTH)
  const client = eku.includes(CLIENT_AUTH)
  if (server && client) return 'server+client'
  if (server) return 'server'
  if (client) return 'client'
  return 'other'
}

/** Throws (node's own error) when the file cannot be read or holds no PEM/DER certificate. */
export function readCertInfo(file: string): CertInfo {
  const c = loadCert(file)
  // Node 20 calls the extendedKeyUsage list `keyUsage`; undefined when the extension is absent.
  const extKeyUsage = c.keyUsage ?? []
  return {
    file,
    commonName: commonNameOf(c.subject),
    subject: c.subject.split('\n').join(', '),
    issuer: c.issuer.split('\n').join(', '),
    notBefore: new Date(c.validFrom).toISOString(),
    notAfter: new Date(c.validTo).toISOString(),
    ...parseSubjectAltName(c.subjectAltName),
    serial: c.serialNumber,
    fingerprint: c.fingerprint256,
    isCa: c.ca,
    extKeyUsage,
    usage: kindOf(c.ca, extKeyUsage),
  }
}

/** Whole days until notAfter, rounded down: 0 on its last day, negative once expired. */
export function expiresInDays(info: Pick<CertInfo, 'notAfter'>, now: Date = new Date()): number {
  return Math.floor((Date.parse(info.notAfter) - now.getTime()) / DAY_MS)
}

export function isExpired(info: Pick<CertInfo, 'notAfter'>, now: Date = new Date()): boolean {
  return Date.parse(info.notAfter) <= now.getTime()
}

export type ChainResult = { ok: true } | { ok: false; reason: string }

/**
 * Whether `certFile` was signed by the CA of `caFile`: the issuer names the CA's subject
 * and the signature verifies under its public key. Validity dates are not checked here
 * (readCertInfo reports them), so an expired certificate still shows whose it is.
 */
export function verifyChain(caFile: string, certFile: string): ChainResult {
  const ca = loadCert(caFile)
  const cert = loadCert(certFile)
  if (!ca.ca) return { ok: false, reason: `${caFile} is not a CA certificate` }
  const issuer = cert.issuer.split('\n').join(', ')
  const caName = ca.subject.split('\n').join(', ')
  // checkIssued compares the names and the key ids: equal names can still be another CA.
  const sameName = 'the CA\'s name but not its key: another CA of the same name'
  if (!cert.checkIssued(ca)) return { ok: false, reason: issuer === caName ? `issued under ${sameName}` : `issued by "${issuer}", not by the CA "${caName}"` }
  if (!cert.verify(ca.publicKey)) return { ok: false, reason: `its signature does not verify: signed under ${sameName}` }
  return { ok: true }
}
