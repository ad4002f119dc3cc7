// The builder's writes under /tls/: certificates sealed under the cluster key (additional
// data dokkaa-tls:<hostname>, so a record copied under another name does not open), the
// ACME account key (sealed too), and HTTP-01 challenges (plain: the ACME server reads them
// over plain HTTP anyway).
import { X509Certificate } from 'node:crypto'
import type { Kv } from '../../kit/kv.js'
import type { ClusterKey } from '../../kit/secret-box.js'
import {
  ACME_ACCOUNT_AAD, readSealed, readTlsCertRecord, tlsCertAad, type KeyLayout, type SealedValue, type TlsCertRecord, type TlsKeyPair,
} from '../../schemas/index.js'

/** The record of a new pair: the leaf's serial and validity in the clear, the pair sealed. */
export function certRecordOf(hostname: string, pair: TlsKeyPair, key: ClusterKey, now: Date): TlsCertRecord {
  const leaf = new X509Certificate(pair.cert)
  return {
    hostname,
    serial: leaf.serialNumber.toUpperCase(),
    notBefore: new Date(leaf.validFrom).toISOString(),
    notAfter: new Date(leaf.validTo).toISOString(),
    updatedAt: now.toISOString(),
    sealed: key.seal(Buffer.from(JSON.stringify(pair)), tlsCertAad(hostname)),
  }
}

/** Every certificate record, by host name (junk skipped: the ambassadors skip it too). */
export async function readCertRecords(kv: Kv, keys: KeyLayout): Promise<Map<string, TlsCertRecord>> {
  const out = new Map<string, TlsCertRecord>()
  for (const e of await kv.list(keys.tlsCertsRoot)) {
    const name = keys.parseTlsName(e.key, keys.tlsCertsRoot)
    const rec = name ? readTlsCertRecord(e.value) : undefined
    if (name && rec?.hostname === name) out.set(name, rec)
  }
  return out
}

/** Host names with a renewal request under /tls/renew/. */
export async function readRenewRequests(kv: Kv, keys: KeyLayout): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const e of await kv.list(keys.tlsRenewRoot)) {
    const name = keys.parseTlsName(e.key, keys.tlsRenewRoot)
    if (name) out.set(name, e.value)
  }
  return out
}

export interface AccountRecord { directory: string; email: string; sealed: SealedValue }

/** The account key for this directory and email, or undefined (none yet, another directory, another cluster key). */
export async function readAccountKey(kv: Kv, keys: KeyLayout, key: ClusterKey, directory: string, email: string): Promise<string | undefined> {
  const e = await kv.get(keys.tlsAccount)
  if (!e) return undefined
  try {
    const v = JSON.parse(e.value) as Partial<AccountRecord>
    const sealed = readSealed(v.sealed)
    if (!sealed || v.directory !== directory || v.email !== email) return undefined
    return key.open(sealed, ACME_ACCOUNT_AAD).toString('utf8')
  } catch {
    return undefined
  }
}

export async function writeAccountKey(kv: Kv, keys: KeyLayout, key: ClusterKey, directory: string, email: string, pem: string): Promise<void> {
  const record: AccountRecord = { directory, email, sealed: key.seal(Buffer.from(pem), ACME_ACCOUNT_AAD) }
  await kv.put(keys.tlsAccount, JSON.stringify(record))
}
