// What one certificate of the cluster PKI is asked to be, and the rules its values obey.
// Every value here ends up in openssl's arguments (`-subj /CN=…`) or in the extensions file
// it reads (`DNS.1 = …`), so each is checked against a closed set of characters before
// anything runs: no "/", "=", "+", "\\", newline or "[" can reach openssl and add a subject
// attribute, a config line or a section of our choosing.
import { isIP } from 'node:net'
import { UsageError } from './errors.js'

/** serverAuth, clientAuth or both (etcd's peer certificates are both: each member dials the others). */
export type CertUsage = 'server' | 'client' | 'server+client'
export const CERT_USAGES: readonly CertUsage[] = ['server', 'client', 'server+client']

export interface CertRequest {
  /** The files' base name: `<dir>/<name>.crt` and `<name>.key`. */
  name: string
  /** The subject's CN. etcd maps a client certificate's CN to an etcd user (RBAC). */
  commonName: string
  dnsNames: string[]
  ipAddresses: string[]
  usage: CertUsage
  days: number
}

/** Certificates live about two years (rotated long before, by `certs rotate`); the CA ten. */
export const DEFAULT_CERT_DAYS = 825
export const DEFAULT_CA_DAYS = 3650
const MAX_DAYS = 36500

// File names: lowercase, so `etcd-H1` and `etcd-h1` are never two files on one disk and one
// on another; "ca" is the CA's own.
const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,99}$/
// X.520 caps a CN at 64 characters. Spaces are allowed for the CA's descriptive name.
const CN_RE = /^[A-Za-z0-9._-](?:[A-Za-z0-9 ._-]{0,62}[A-Za-z0-9._-])?$/
const DNS_LABEL_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/

export function certNameProblem(name: string): string | undefined {
  if (name === 'ca') return 'certificate name "ca" is the CA\'s own'
  if (!NAME_RE.test(name)) return `certificate name ${JSON.stringify(name)}: use 1-100 of a-z, 0-9, ".", "_", "-", starting with a letter or digit`
  return undefined
}

export function commonNameProblem(cn: string): string | undefined {
  if (!CN_RE.test(cn)) return `common name ${JSON.stringify(cn)}: use 1-64 of A-Z, a-z, 0-9, ".", "_", "-" (and inner spaces)`
  return undefined
}

/**
 * A DNS name of labels of [A-Za-z0-9-] (no wildcard, no trailing dot), at most 253
 * characters, whose last label is not all digits — so a mistyped IP ("10.0.0.300") is not
 * taken for a name.
 */
export function dnsNameProblem(dns: string): string | undefined {
  const labels = dns.split('.')
  if (dns.length <= 253 && labels.every(l => DNS_LABEL_RE.test(l)) && !/^\d+$/.test(labels.at(-1)!)) return undefined
  return `DNS name ${JSON.stringify(dns)}: use dot-separated labels of 1-63 A-Z, a-z, 0-9 and "-" (not at either end, the last not all digits), 253 characters at most`
}

export function ipAddressProblem(ip: string): string | undefined {
  return isIP(ip) ? undefined : `IP address ${JSON.stringify(ip)} is not an IPv4 or IPv6 address`
}

export function daysProblem(days: number): string | undefined {
  return Number.isInteger(days) && days >= 1 && days <= MAX_DAYS ? undefined : `validity of ${days} days: use a whole number of days from 1 to ${MAX_DAYS}`
}

/** Every problem of a request, for a caller that reports them all at once. */
export function certRequestProblems(r: CertRequest): string[] {
  const problems = [
    certNameProblem(r.name),
    commonNameProblem(r.commonName),
    ...r.dnsNames.map(dnsNameProblem),
    ...r.ipAddresses.map(ipAddressProblem),
    daysProblem(r.days),
    CERT_USAGES.includes(r.usage) ? undefined : `usage ${JSON.stringify(r.usage)}: use one of ${CERT_USAGES.join(', ')}`,
  ]
  return problems.filter((p): p is string => p !== undefined)
}

/** Throws a UsageError naming every problem; nothing reaches openssl unless this passes. */
export function assertCertRequest(r: CertRequest): void {
  const problems = certRequestProblems(r)
  if (problems.length) throw new UsageError(`certificate ${JSON.stringify(r.name)}: ${problems.join('; ')}`)
}

/** An address as a SAN: an IP goes in as IP, anything else must be a DNS name. */
export function sanOf(address: string): { dnsNames: string[]; ipAddresses: string[] } {
  return isIP(address) ? { dnsNames: [], ipAddresses: [address] } : { dnsNames: [address], ipAddresses: [] }
}
