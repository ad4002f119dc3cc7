// Keeps the TLS store current with etcd: a kit/mirror.ts over /tls/challenges/ (HTTP-01
// key authorizations, plain) for every ambassador with a web listener, and one over
// /tls/certs/ (certificates the builder obtained, sealed under the cluster key) for one
// with an HTTPS listener. A certificate is opened and made a secure context once per
// write; one that does not open (another cluster key, altered, not a certificate) is
// logged and not served — the name keeps the certificate it had, if any.
import type { Logger } from 'pino'
import type { ClusterKey } from '../kit/secret-box.js'
import { prefixEnd, type Kv } from '../kit/kv.js'
import { Mirror } from '../kit/mirror.js'
import { isChallengeToken, isKeyAuthorization, readTlsCertRecord, readTlsKeyPair, tlsCertAad, type KeyLayout } from '../schemas/index.js'
import { loadPair, type LoadedCert, type TlsStore } from './tls-store.js'

export interface TlsWatch { close(): Promise<void> }

export interface TlsWatchOptions {
  kv: Kv
  keys: KeyLayout
  store: TlsStore
  log: Logger
  /** Watch /tls/certs/ (an HTTPS listener is configured). */
  certs: boolean
  /** Opens the sealed certificates; undefined: none can be opened (the reason was logged at start). */
  clusterKey?: ClusterKey
}

/** The certificate a /tls/certs/ value holds, or a sentence saying why it cannot be served. */
export function openCertRecord(name: string, value: string, key: ClusterKey | undefined): LoadedCert | string {
  const rec = readTlsCertRecord(value)
  if (!rec || rec.hostname !== name) return 'not a certificate record for this name'
  if (!key) return 'no usable cluster key (--cluster-key-file) to open it'
  let plain: Buffer
  try { plain = key.open(rec.sealed, tlsCertAad(name)) } catch (err) { return (err as Error).message }
  const pair = readTlsKeyPair(plain)
  if (!pair) return 'the sealed value is not a certificate and key'
  try { return loadPair(pair, 'etcd') } catch (err) { return `cannot be served: ${(err as Error).message}` }
}

export async function startTlsWatch(opts: TlsWatchOptions): Promise<TlsWatch> {
  const { kv, keys, store, log } = opts
  const callbacks = (what: string) => ({
    onCanceled: (err: Error) => log.warn({ err: err.message }, `etcd watch of ${what} canceled; reading them all again`),
    onResyncError: (err: Error) => log.warn({ err: err.message }, `reading ${what} again failed; retrying`),
    onDisconnected: (err: Error) => log.warn({ err: err.message }, `etcd watch of ${what} disconnected; resuming when etcd answers`),
  })

  const challenge = (key: string, value: string | undefined): void => {
    const token = key.slice(keys.tlsChallengesRoot.length)
    if (!isChallengeToken(token)) return
    store.setChallenge(token, value !== undefined && isKeyAuthorization(value) ? value : undefined)
  }
  const challenges = new Mirror(kv, { start: keys.tlsChallengesRoot, end: prefixEnd(keys.tlsChallengesRoot) }, {
    reset(entries) { store.clearChallenges(); for (const e of entries) challenge(e.key, e.value) },
    apply(events) { for (const e of events) challenge(e.key, e.type === 'put' ? e.value : undefined) },
  }, callbacks('ACME challenges'))

  const cert = (key: string, value: string | undefined): void => {
    const name = keys.parseTlsName(key, keys.tlsCertsRoot)
    if (!name) return
    if (value === undefined) {
      store.setEtcdCert(name, undefined)
      log.info({ hostname: name }, 'certificate removed from etcd; no longer served from etcd')
      return
    }
    const loaded = openCertRecord(name, value, opts.clusterKey)
    if (typeof loaded === 'string') {
      log.error({ hostname: name, key }, `cannot serve the certificate in etcd: ${loaded}`)
      return
    }
    const before = store.etcdCert(name)
    store.setEtcdCert(name, loaded)
    if (before?.serial !== loaded.serial) log.info({ hostname: name, serial: loaded.serial, notAfter: loaded.notAfter, replaced: before?.serial }, 'certificate from etcd served')
  }
  const certs = opts.certs
    ? new Mirror(kv, { start: keys.tlsCertsRoot, end: prefixEnd(keys.tlsCertsRoot) }, {
      reset(entries) {
        const present = new Set(entries.map(e => keys.parseTlsName(e.key, keys.tlsCertsRoot)))
        for (const name of store.names().etcd) if (!present.has(name)) store.setEtcdCert(name, undefined)
        for (const e of entries) cert(e.key, e.value)
      },
      apply(events) { for (const e of events) cert(e.key, e.type === 'put' ? e.value : undefined) },
    }, callbacks('certificates'))
    : undefined

  const mirrors = [challenges, ...(certs ? [certs] : [])]
  try {
    await Promise.all(mirrors.map(m => m.ready()))
  } catch (err) {
    await Promise.all(mirrors.map(m => m.stop().catch(() => {})))
    throw err
  }
  return { close: async () => { await Promise.all(mirrors.map(m => m.stop())) } }
}
