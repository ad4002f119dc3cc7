// A throwaway PKI for tests that need TLS (etcd with client-certificate authentication):
// a CA and certificates it signs, made by Debian's openssl CLI, EC P-256 keys, valid one
// day. Files only, in a directory the caller owns (tempPki: a temp dir removed at
// teardown); keys are mode 0600, as Dokkaa refuses looser ones.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { TeardownHost } from './teardown-host.js'

const run = promisify(execFile)

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args)
  } catch (err) {
    throw new Error(`openssl ${args.join(' ')} failed: ${(err as { stderr?: string }).stderr ?? (err as Error).message}`, { cause: err })
  }
}

/** PEM files: a certificate and its private key. */
export interface CertFiles {
  cert: string
  key: string
}

export interface TestCa extends CertFiles {
  readonly dir: string
  readonly name: string
}

async function newKey(path: string): Promise<void> {
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path])
  await chmod(path, 0o600)
}

/** A self-signed CA: <dir>/<name>.pem and <dir>/<name>.key. */
export async function makeTestCa(dir: string, name = 'dokkaa-test-ca'): Promise<TestCa> {
  const cert = join(dir, `${name}.pem`)
  const key = join(dir, `${name}.key`)
  await newKey(key)
  await openssl(['req', '-x509', '-new', '-key', key, '-subj', `/CN=${name}`, '-days', '1', '-out', cert,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
  return { dir, name, cert, key }
}

export interface IssueOptions {
  /** serverAuth (etcd's listener), clientAuth (a Dokkaa process), or both (an etcd peer). */
  use: 'server' | 'client' | 'both'
  /** subjectAltName entries, like ['IP:127.0.0.1', 'DNS:localhost']; servers need them. */
  sans?: string[]
}

/** A certificate for CN=name signed by `ca`: <ca.dir>/<name>.pem and <name>.key (mode 0600). */
export async function issueTestCert(ca: TestCa, name: string, opts: IssueOptions): Promise<CertFiles> {
  const cert = join(ca.dir, `${name}.pem`)
  const key = join(ca.dir, `${name}.key`)
  const csr = join(ca.dir, `${name}.csr`)
  const ext = join(ca.dir, `${name}.ext`)
  const usage = { server: 'serverAuth', client: 'clientAuth', both: 'serverAuth,clientAuth' }[opts.use]
  await writeFile(ext, [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyAgreement',
    `extendedKeyUsage=${usage}`,
    ...(opts.sans?.length ? [`subjectAltName=${opts.sans.join(',')}`] : []),
  ].join('\n') + '\n')
  await newKey(key)
  await openssl(['req', '-new', '-key', key, '-subj', `/CN=${name}`, '-out', csr])
  await openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', `0x${randomBytes(8).toString('hex')}`,
    '-days', '1', '-extfile', ext, '-out', cert])
  await rm(csr)
  await rm(ext)
  return { cert, key }
}

/** A CA in a fresh temp dir, removed when the test ends. */
export async function tempTestCa(t: TeardownHost, name?: string): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), 'dokkaa-pki-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return makeTestCa(dir, name)
}
