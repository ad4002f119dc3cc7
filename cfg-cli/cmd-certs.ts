// certs ls: the cluster's certificates in a PKI directory (/etc/dokkaa/pki by default) and
// when each expires, so an operator sees a lapse coming before etcd starts refusing the
// parts. Read-only and offline: it parses the files (cert-info.ts) and never runs openssl
// or reads a key, so it works on any host, and on a directory copied off one.
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Command } from 'commander'
import { expiresInDays, isExpired, readCertInfo, verifyChain, type CertInfo } from './cert-info.js'
import { CfgError, NotFoundError, UsageError } from './errors.js'
import { makeOutput, table } from './output.js'
import { DEFAULT_PKI_DIR } from './pki.js'
import { registerCertsInit, registerCertsRotate } from './cmd-certs-init.js'

/** Under this many days left, a certificate is marked `expires soon`. */
export const EXPIRES_SOON_DAYS = 30

export type CertStatus = 'valid' | 'expires-soon' | 'expired'

export type CertRow =
  | { name: string; file: string; readable: true; info: CertInfo; status: CertStatus; expiresInDays: number; signedByCa?: boolean; chainProblem?: string }
  | { name: string; file: string; readable: false; error: string }

function statusOf(info: CertInfo, now: Date): CertStatus {
  if (isExpired(info, now)) return 'expired'
  return expiresInDays(info, now) < EXPIRES_SOON_DAYS ? 'expires-soon' : 'valid'
}

function certFiles(dir: string): string[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new NotFoundError(`no PKI directory ${dir}`, 'install.sh and `dokkaacfg up` make it; name another with --pki-dir <dir>')
    if (code === 'ENOTDIR') throw new UsageError(`${dir} is not a directory`, 'give the PKI directory with --pki-dir <dir>')
    throw new CfgError(`cannot read the PKI directory ${dir}: ${(e as Error).message}`, code === 'EACCES' ? 'run it as root (sudo)' : undefined)
  }
  // The CA first (every other line is read against it), then by name in code-point order,
  // the same in every locale: `old` before `old-etcd`.
  const rank = (n: string) => (n === 'ca' ? '' : n)
  const bases = names.filter(n => n.endsWith('.crt')).map(n => n.slice(0, -'.crt'.length))
  return bases.sort((a, b) => (rank(a) < rank(b) ? -1 : rank(a) > rank(b) ? 1 : 0)).map(n => `${n}.crt`)
}

/** Every *.crt of `dir`, the CA first; a file that is no certificate is a row saying so. */
export function listCerts(dir: string, now: Date = new Date()): CertRow[] {
  const files = certFiles(dir)
  const caFile = join(dir, 'ca.crt')
  return files.map((f): CertRow => {
    const file = join(dir, f)
    const name = f.slice(0, -'.crt'.length)
    let info: CertInfo
    try {
      info = readCertInfo(file)
    } catch (e) {
      // fs errors (EACCES…) say what they are; the parser's (ERR_OSSL_…) need saying.
      const fsError = /^E[A-Z]+$/.test(String((e as NodeJS.ErrnoException).code))
      return { name, file, readable: false, error: fsError ? (e as Error).message : `not a certificate (${(e as Error).message})` }
    }
    const row: CertRow = { name, file, readable: true, info, status: statusOf(info, now), expiresInDays: expiresInDays(info, now) }
    if (f === 'ca.crt' || !files.includes('ca.crt')) return row
    try {
      const chain = verifyChain(caFile, file)
      return chain.ok ? { ...row, signedByCa: true } : { ...row, signedByCa: false, chainProblem: chain.reason }
    } catch {
      return row // an unreadable ca.crt has its own row saying so
    }
  })
}

const plural = (n: number) => `${n} day${n === 1 ? '' : 's'}`

/** `2027-03-02 (in 92 days)`, `… (in 12 days, expires soon)`, `… (EXPIRED 3 days ago)`. */
export function expiryText(info: CertInfo, now: Date): string {
  const date = info.notAfter.slice(0, 10)
  if (isExpired(info, now)) {
    const ago = Math.floor((now.getTime() - Date.parse(info.notAfter)) / 86_400_000)
    return `${date} (EXPIRED ${ago === 0 ? 'today' : `${plural(ago)} ago`})`
  }
  const left = expiresInDays(info, now)
  const when = left === 0 ? 'today' : `in ${plural(left)}`
  return `${date} (${when}${left < EXPIRES_SOON_DAYS ? ', expires soon' : ''})`
}

/** The table, then a line per certificate the directory's CA did not sign. */
export function certLines(rows: CertRow[], now: Date): string[] {
  const cells = rows.map(r => r.readable
    ? [r.name, r.info.commonName || '-', r.info.usage, [...r.info.dnsNames, ...r.info.ipAddresses].join(',') || '-', expiryText(r.info, now)]
    : [r.name, '-', '-', '-', `unreadable: ${r.error}`])
  const notSigned = rows.flatMap(r => (r.readable && r.signedByCa === false ? [`${r.name}: not signed by this directory's ca.crt: ${r.chainProblem}`] : []))
  return [...table(['NAME', 'SUBJECT', 'USAGE', 'SANS', 'EXPIRES'], cells), ...notSigned]
}

/** --json: one object per file, dates ISO 8601, `status` valid | expires-soon | expired | unreadable. */
function jsonRow(r: CertRow): object {
  if (!r.readable) return { name: r.name, file: r.file, status: 'unreadable', error: r.error }
  const { info } = r
  return {
    name: r.name, file: r.file, status: r.status, commonName: info.commonName, subject: info.subject, issuer: info.issuer,
    usage: info.usage, dnsNames: info.dnsNames, ipAddresses: info.ipAddresses, notBefore: info.notBefore, notAfter: info.notAfter,
    expiresInDays: r.expiresInDays, serial: info.serial, fingerprint: info.fingerprint, signedByCa: r.signedByCa ?? null,
  }
}

export function registerCerts(program: Command): void {
  const certs = program.command('certs').description('the cluster\'s TLS certificates (CA, etcd, conductors, ambassadors, builder, admin): list them with their expiry')
  certs.command('ls')
    .description('every certificate in the PKI directory, the CA first: subject (the etcd user of a client certificate), usage, SANs, expiry')
    .option('--pki-dir <dir>', 'the PKI directory', DEFAULT_PKI_DIR)
    .addHelpText('after', `
Expiry is marked "expires soon" under ${EXPIRES_SOON_DAYS} days and "EXPIRED" after. A .crt that is not a
certificate is listed as unreadable. Only certificates are read, never a key.

Examples:
  dokkaacfg certs ls
  dokkaacfg certs ls --pki-dir ./pki --json`)
    .action((o: { pkiDir: string }, c: Command) => {
      const now = new Date()
      const rows = listCerts(o.pkiDir, now)
      const out = makeOutput(!!c.optsWithGlobals<{ json?: boolean }>().json)
      out.result(rows.map(jsonRow), () => (rows.length ? certLines(rows, now) : [`no certificates (*.crt) in ${o.pkiDir}`]))
    })
  registerCertsInit(certs)
  registerCertsRotate(certs)
}
