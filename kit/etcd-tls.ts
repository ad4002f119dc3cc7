// TLS to etcd: --etcd-ca, --etcd-cert and --etcd-key (DOKKAA_ETCD_CA, …) of every Dokkaa
// process, turned into etcd3's `credentials`. Two steps, so the rules are unit tests:
// parseEtcdTls checks which flags go together with which --etcd URLs (pure, at config
// time), etcdCredentials reads the files (at start). Every refusal is a FlagError naming
// the flag and saying what to do.
//
// Why refuse http:// endpoints given TLS flags: etcd3 hands its credentials to every host
// whatever the URL says, so "http://" would silently speak TLS. And https:// without
// --etcd-ca would trust the system's CAs, which never signed a cluster's own etcd cert.
import { readFileSync, statSync } from 'node:fs'
import type { Command } from 'commander'
import type { IOptions } from 'etcd3'
import { FlagError } from './flags.js'

/** The flags as commander hands them over (absent or "" when not given). */
export interface EtcdTlsFlags {
  etcdCa?: string
  etcdCert?: string
  etcdKey?: string
}

/** Checked: a CA, and either both or neither of the client certificate and its key. */
export interface EtcdTlsFiles {
  ca: string
  client?: { cert: string; key: string }
}

export type EtcdCredentials = NonNullable<IOptions['credentials']>

// A unit file passes "--etcd-ca ${DOKKAA_ETCD_CA}"; an unset variable means not given.
const given = (v: string | undefined): string | undefined => v?.trim() || undefined

/** Which TLS files the client uses with these --etcd URLs; undefined: plain http. */
export function parseEtcdTls(raw: EtcdTlsFlags, urls: readonly string[]): EtcdTlsFiles | undefined {
  const ca = given(raw.etcdCa)
  const cert = given(raw.etcdCert)
  const key = given(raw.etcdKey)
  if (cert && !key) throw new FlagError('--etcd-key', 'missing: --etcd-cert needs the private key of that client certificate; pass --etcd-key <file>')
  if (key && !cert) throw new FlagError('--etcd-cert', 'missing: --etcd-key needs its client certificate; pass --etcd-cert <file>')
  if (cert && !ca) throw new FlagError('--etcd-ca', 'missing: a client certificate (--etcd-cert, --etcd-key) is only sent over TLS; pass --etcd-ca <file>, the CA that signed etcd\'s server certificate')
  const plain = urls.find(u => u.startsWith('http://'))
  if (ca && plain) throw new FlagError('--etcd', `"${plain}" is plain http, but TLS flags (--etcd-ca) are given: use https:// endpoints with --etcd-ca`)
  const secure = urls.find(u => u.startsWith('https://'))
  if (secure && !ca) throw new FlagError('--etcd-ca', `missing: "${secure}" is https; pass --etcd-ca <file>, the CA that signed etcd's server certificate`)
  if (!ca) return undefined
  return { ca, ...(cert && key ? { client: { cert, key } } : {}) }
}

/** The file system, as far as reading TLS files goes (a fake in unit tests). */
export interface TlsFileAccess {
  read(path: string): Buffer
  /** The permission bits (mode & 0o777). */
  mode(path: string): number
}

export const nodeFiles: TlsFileAccess = {
  read: path => readFileSync(path),
  mode: path => statSync(path).mode & 0o777,
}

/** A PEM file named by `flag`; unreadable or not PEM: a FlagError naming the flag (shared by every TLS flag, not only etcd's). */
export function readPem(files: TlsFileAccess, flag: string, path: string, what: string): Buffer {
  let pem: Buffer
  try {
    pem = files.read(path)
  } catch (err) {
    throw new FlagError(flag, `cannot read ${what} ${path}: ${(err as Error).message}`)
  }
  // gRPC's own complaint about a bad PEM comes on the first call, far from the flag.
  if (!pem.includes('-----BEGIN ')) throw new FlagError(flag, `${path} is not a PEM file (no "-----BEGIN" line): give ${what} in PEM`)
  return pem
}

/** The flags a refusal names: --etcd-cert/--etcd-key, or another pair for a second identity (the conductor's scheduler). */
export interface ClientCertFlags { cert: string; key: string }
const ETCD_CLIENT_FLAGS: ClientCertFlags = { cert: '--etcd-cert', key: '--etcd-key' }

/** A certificate and its private key (PEM); refuses a key others may read. `what`: "the etcd client" → "the etcd client certificate"/"key". */
export function readCertAndKey(files: TlsFileAccess, flags: ClientCertFlags, paths: { cert: string; key: string }, what: string): { cert: Buffer; key: Buffer } {
  const { cert, key } = paths
  const certPem = readPem(files, flags.cert, cert, `${what} certificate`)
  const keyPem = readPem(files, flags.key, key, `${what} key`)
  // Read first (so a missing file says so), then the mode: as readClusterKey refuses a loose key.
  const mode = files.mode(key)
  if ((mode & 0o077) !== 0) throw new FlagError(flags.key, `${key} is readable by group or others (mode ${mode.toString(8).padStart(3, '0')}): chmod 600 ${key}`)
  return { cert: certPem, key: keyPem }
}

/** Reads the files into etcd3's credentials; refuses a private key others may read. */
export function etcdCredentials(tls: EtcdTlsFiles | undefined, files: TlsFileAccess = nodeFiles, flags = ETCD_CLIENT_FLAGS): EtcdCredentials | undefined {
  if (!tls) return undefined
  const rootCertificate = readPem(files, '--etcd-ca', tls.ca, 'the etcd CA certificate')
  if (!tls.client) return { rootCertificate }
  const { cert: certChain, key: privateKey } = readCertAndKey(files, flags, tls.client, 'the etcd client')
  return { rootCertificate, certChain, privateKey }
}

/** hosts + credentials for createEtcdClient, from checked config (reads the files). */
export function etcdConnection(urls: string[], tls: EtcdTlsFiles | undefined, files: TlsFileAccess = nodeFiles, flags = ETCD_CLIENT_FLAGS): Pick<IOptions, 'hosts' | 'credentials'> {
  const credentials = etcdCredentials(tls, files, flags)
  return credentials ? { hosts: urls, credentials } : { hosts: urls }
}

/** Adds --etcd-ca, --etcd-cert and --etcd-key, with the same help in every bin (withEnvVars gives them DOKKAA_ETCD_CA, …). */
export function addEtcdTlsOptions<C extends Command>(cmd: C): C {
  cmd
    .option('--etcd-ca <file>', 'CA certificate (PEM) that signed etcd\'s server certificate: talk TLS to etcd (needs https:// --etcd endpoints)')
    .option('--etcd-cert <file>', 'client certificate (PEM) shown to an etcd that requires one (--client-cert-auth); with --etcd-key and --etcd-ca')
    .option('--etcd-key <file>', 'private key (PEM, mode 0600) of --etcd-cert')
  return cmd
}
