// The cluster PKI: a CA and the certificates of the cluster's plan (pki-plan.ts), made by
// Debian's `openssl` — a well-kept implementation, not our own ASN.1. openssl runs through
// execFile with argument arrays (never a shell), and every value that reaches its arguments
// or its config files has passed pki-request.ts's closed character sets first.
//
// Keys: EC P-256, mode 0600; certificates: SHA-256, mode 0644. Each file is written whole
// under a temporary name and renamed, so a crash never leaves half a key (as cluster-key.ts).
// One writer per directory at a time (`up`, install.sh run serially).
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readCertInfo, type CertInfo } from './cert-info.js'
import { CfgError, CommandError, PreconditionError, UsageError } from './errors.js'
import { assertCertRequest, commonNameProblem, daysProblem, DEFAULT_CA_DAYS, type CertRequest } from './pki-request.js'
import { run } from './run-command.js'

export { expiresInDays, isExpired, readCertInfo, verifyChain, type CertInfo } from './cert-info.js'
export { componentPlan, type ClusterPlanInput, type PlanHost } from './pki-plan.js'
export { DEFAULT_CA_DAYS, DEFAULT_CERT_DAYS, type CertRequest, type CertUsage } from './pki-request.js'

export const DEFAULT_PKI_DIR = '/etc/dokkaa/pki'
export const KEY_MODE = 0o600
export const CERT_MODE = 0o644

export interface CertFiles { certFile: string; keyFile: string; info: CertInfo }
export interface Ca extends CertFiles { dir: string; /** False when the CA was already there. */ created: boolean }

// Our own minimal config for `openssl req`: nothing of the system's openssl.cnf (its
// req_extensions, its default subject) slips into the cluster's certificates.
const REQ_CONFIG = `[req]
distinguished_name = dn
prompt = no
x509_extensions = ca_ext
[dn]
[ca_ext]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
`

const EKU: Record<CertRequest['usage'], string> = { 'server': 'serverAuth', 'client': 'clientAuth', 'server+client': 'serverAuth,clientAuth' }

/**
 * The extensions of a leaf certificate. keyUsage is digitalSignature alone: the keys are EC,
 * and RFC 5480 does not allow keyEncipherment for EC keys (TLS with them signs, it never
 * encrypts a secret to the key).
 */
export function leafExtensions(r: CertRequest): string {
  const san = [...r.dnsNames.map((d, i) => `DNS.${i + 1} = ${d}`), ...r.ipAddresses.map((ip, i) => `IP.${i + 1} = ${ip}`)]
  return [
    '[leaf]',
    'basicConstraints = critical,CA:FALSE',
    'keyUsage = critical,digitalSignature',
    `extendedKeyUsage = ${EKU[r.usage]}`,
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid,issuer',
    ...(san.length ? ['subjectAltName = @san', '[san]', ...san] : []),
    '',
  ].join('\n')
}

async function openssl(args: string[], input?: string): Promise<string> {
  try {
    return (await run('openssl', args, { input })).stdout
  } catch (e) {
    // run() puts spawn's own error in place of stderr when the binary is missing.
    if (e instanceof CommandError && /spawn openssl ENOENT/.test(e.stderr)) throw new PreconditionError('openssl is not installed', 'apt-get install openssl')
    throw e
  }
}

/** A random positive 128-bit serial: no serial file to keep, no two certificates alike. */
function serial(): string {
  const b = randomBytes(16)
  b[0] = (b[0]! & 0x7f) | 0x10
  return `0x${b.toString('hex')}`
}

/** Writes under a temporary name with the final mode, then renames over `path`. */
function writeWhole(path: string, data: string, mode: number): void {
  const tmp = `${path}.${process.pid}.tmp`
  rmSync(tmp, { force: true })
  writeFileSync(tmp, data, { mode, flag: 'wx' })
  chmodSync(tmp, mode) // the umask may have taken bits of a certificate's 0644
  renameSync(tmp, path)
}

/** Runs `fn` with a private scratch directory for openssl's config files, removed after. */
async function withScratch<T>(fn: (scratch: string) => Promise<T>): Promise<T> {
  const scratch = mkdtempSync(join(tmpdir(), 'dokkaa-pki-'))
  try {
    return await fn(scratch)
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}

const genKey = () => openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'])

/**
 * The cluster CA in `dir` (ca.crt, ca.key): made when absent, never replaced — every
 * certificate of the cluster chains to it. A ca.key without ca.crt (a crash between the
 * two renames) gets its certificate made from that key; a ca.crt without its key is an error.
 */
export async function ensureCa(dir: string, o: { commonName: string; days?: number }): Promise<Ca> {
  const certFile = join(dir, 'ca.crt')
  const keyFile = join(dir, 'ca.key')
  if (existsSync(certFile)) {
    if (!existsSync(keyFile)) throw new CfgError(`${certFile} exists without its key ${keyFile}`, 'restore ca.key from a backup: a new CA would not be trusted by any certificate issued so far')
    chmodSync(keyFile, KEY_MODE)
    return { dir, certFile, keyFile, info: readCertInfo(certFile), created: false }
  }
  const days = o.days ?? DEFAULT_CA_DAYS
  const problem = commonNameProblem(o.commonName) ?? daysProblem(days)
  if (problem) throw new UsageError(`the cluster CA: ${problem}`)
  mkdirSync(dir, { recursive: true, mode: 0o755 })
  if (!existsSync(keyFile)) writeWhole(keyFile, await genKey(), KEY_MODE)
  chmodSync(keyFile, KEY_MODE)
  const cert = await withScratch(async scratch => {
    writeFileSync(join(scratch, 'req.cnf'), REQ_CONFIG)
    return openssl(['req', '-x509', '-new', '-config', join(scratch, 'req.cnf'), '-key', keyFile, '-subj', `/CN=${o.commonName}`,
      '-sha256', '-days', String(days), '-set_serial', serial()])
  })
  writeWhole(certFile, cert, CERT_MODE)
  return { dir, certFile, keyFile, info: readCertInfo(certFile), created: true }
}

/**
 * Issues `<dir>/<name>.crt` and `.key` (a new key each time) from a CSR signed by the CA.
 * An existing pair of that name is replaced — the key first, then the certificate, each
 * renamed whole; a process reading in between may pair the new key with the old
 * certificate once, and reads again on its next reload.
 */
export async function issue(dir: string, ca: Pick<Ca, 'certFile' | 'keyFile'>, r: CertRequest): Promise<CertFiles> {
  assertCertRequest(r)
  mkdirSync(dir, { recursive: true, mode: 0o755 })
  const certFile = join(dir, `${r.name}.crt`)
  const keyFile = join(dir, `${r.name}.key`)
  const key = await genKey()
  const cert = await withScratch(async scratch => {
    const scratchKey = join(scratch, 'leaf.key')
    writeFileSync(scratchKey, key, { mode: KEY_MODE })
    writeFileSync(join(scratch, 'req.cnf'), REQ_CONFIG)
    writeFileSync(join(scratch, 'leaf.ext'), leafExtensions(r))
    const csr = await openssl(['req', '-new', '-config', join(scratch, 'req.cnf'), '-key', scratchKey, '-subj', `/CN=${r.commonName}`, '-sha256'])
    return openssl(['x509', '-req', '-CA', ca.certFile, '-CAkey', ca.keyFile, '-set_serial', serial(), '-days', String(r.days), '-sha256',
      '-extfile', join(scratch, 'leaf.ext'), '-extensions', 'leaf'], csr)
  })
  writeWhole(keyFile, key, KEY_MODE)
  writeWhole(certFile, cert, CERT_MODE)
  return { certFile, keyFile, info: readCertInfo(certFile) }
}
