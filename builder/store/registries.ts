// Private registries' credentials in etcd (/registries/<host>): the password sealed under
// the cluster key with registryAad(host) before it is written, so etcd and whoever reads it
// hold only ciphertext that opens for that host alone. What is read back for users is the
// host, the username and the dates — never the sealed value.
import type { Kv } from '../../kit/kv.js'
import type { ClusterKey } from '../../kit/secret-box.js'
import {
  isRegistryHost, readRegistryRecord, registryAad, type ApiRegistry, type KeyLayout, type RegistryCredentialRecord,
} from '../../schemas/index.js'

const view = (host: string, r: RegistryCredentialRecord): ApiRegistry => ({ host, username: r.username, createdAt: r.createdAt, updatedAt: r.updatedAt })

/** Every stored registry, by host; a record that does not read (written by hand) or under a key that is no host is left out. */
export async function listRegistries(kv: Kv, keys: KeyLayout): Promise<ApiRegistry[]> {
  const prefix = keys.registriesRoot
  return (await kv.list(prefix)).flatMap(e => {
    const host = e.key.slice(prefix.length)
    const rec = isRegistryHost(host) ? readRegistryRecord(e.value) : undefined
    return rec ? [view(host, rec)] : []
  }).sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0))
}

/** The createdAt a stored value claims, even when the rest of it does not read. */
function storedCreatedAt(text: string): string | undefined {
  try {
    const at = (JSON.parse(text) as { createdAt?: unknown }).createdAt
    return typeof at === 'string' ? at : undefined
  } catch {
    return undefined
  }
}

/**
 * Seals the password for `host` and stores the credentials, keeping the first createdAt
 * when they replace others (compare-and-swap, so two writers never both claim to create).
 */
export async function putRegistry(
  kv: Kv, keys: KeyLayout, key: ClusterKey, now: () => string, host: string, username: string, password: string,
): Promise<{ registry: ApiRegistry; created: boolean }> {
  const k = keys.registry(host)
  const sealed = key.seal(Buffer.from(password, 'utf8'), registryAad(host))
  for (;;) {
    const e = await kv.get(k)
    const at = now()
    const rec: RegistryCredentialRecord = { username, sealed, createdAt: (e && storedCreatedAt(e.value)) ?? at, updatedAt: at }
    if (await kv.swap(k, e?.modRevision ?? 0, JSON.stringify(rec)) !== undefined) return { registry: view(host, rec), created: !e }
  }
}

/** Deletes one; false when there was none. */
export async function deleteRegistry(kv: Kv, keys: KeyLayout, host: string): Promise<boolean> {
  return (await kv.delete(keys.registry(host))).prev !== undefined
}
