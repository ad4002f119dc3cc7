// The web router's certificates and HTTP-01 challenges, in memory: what --tls-dir holds and
// what etcd holds (sealed certificates from the builder's ACME orders, and challenges).
// The HTTPS listener asks it for a secure context at every handshake (SNI), so a renewed
// certificate is served from the next handshake on — no listener restarts, and
// connections already open keep theirs.
import { X509Certificate } from 'node:crypto'
import { createSecureContext, type SecureContext } from 'node:tls'
import type { TlsKeyPair } from '../schemas/index.js'
import { certName, pickCertificate, type CertSource } from './tls-routing.js'

export interface LoadedCert {
  context: SecureContext
  source: CertSource
  /** The leaf's serial (hex) and expiry, for the log. */
  serial: string
  notAfter: string
}

/** A pair made ready to serve; throws when the key does not match the certificate or either is not PEM. */
export function loadPair(pair: TlsKeyPair, source: CertSource): LoadedCert {
  const context = createSecureContext({ cert: pair.cert, key: pair.key })
  const leaf = new X509Certificate(pair.cert)
  return { context, source, serial: leaf.serialNumber, notAfter: new Date(leaf.validTo).toISOString() }
}

export class TlsStore {
  private files: ReadonlyMap<string, LoadedCert> = new Map()
  private readonly etcd = new Map<string, LoadedCert>()
  private readonly challenges = new Map<string, string>()

  /** Replaces every --tls-dir certificate (the directory is read whole each time). */
  setFiles(certs: ReadonlyMap<string, LoadedCert>): void { this.files = certs }

  setEtcdCert(name: string, cert: LoadedCert | undefined): void {
    if (cert) this.etcd.set(name, cert)
    else this.etcd.delete(name)
  }

  clearEtcdCerts(): void { this.etcd.clear() }

  etcdCert(name: string): LoadedCert | undefined { return this.etcd.get(name) }

  setChallenge(token: string, keyAuthorization: string | undefined): void {
    if (keyAuthorization) this.challenges.set(token, keyAuthorization)
    else this.challenges.delete(token)
  }

  clearChallenges(): void { this.challenges.clear() }

  challenge(token: string): string | undefined { return this.challenges.get(token) }

  hasCert(name: string): boolean { return pickCertificate(name, this.files, this.etcd) !== undefined }

  /** The context for a handshake's server name; undefined: no certificate, the handshake fails. */
  context(servername: string): SecureContext | undefined {
    const source = pickCertificate(servername, this.files, this.etcd)
    const name = certName(servername)
    return source === 'file' ? this.files.get(name)?.context : source === 'etcd' ? this.etcd.get(name)?.context : undefined
  }

  /** Names served, by source: for the log and tests. */
  names(): { files: string[]; etcd: string[] } {
    return { files: [...this.files.keys()].sort(), etcd: [...this.etcd.keys()].sort() }
  }
}
