// An app's secrets and configs in etcd (/secrets/<app>/<name>, /configs/<app>/<name>):
// versioned records, each write the previous version + 1, by compare-and-swap on the key's
// modRevision so two writers never make the same version (the version is in a secret's
// additional data and in the assignments' spec hash: a reused one would not roll). A
// secret is sealed before it is written; what is read back for users is only its name,
// version and dates.
import type { Kv } from '../../kit/kv.js'
import type { ClusterKey } from '../../kit/secret-box.js'
import {
  readConfigRecord, readSecretRecord, secretAad, type ApiConfigValue, type ApiSecret, type ConfigRecord, type KeyLayout, type SecretRecord,
} from '../../schemas/index.js'
import type { ValueKind } from '../secret-body.js'

type Dated = Pick<SecretRecord, 'version' | 'createdAt' | 'updatedAt'>

function keyOf(keys: KeyLayout, kind: ValueKind, app: string, name: string): string {
  return kind === 'secret' ? keys.secret(app, name) : keys.config(app, name)
}

function prefixOf(keys: KeyLayout, kind: ValueKind, app: string): string {
  return kind === 'secret' ? keys.secretsOf(app) : keys.configsOf(app)
}

function readRecord(kind: ValueKind, text: string): Dated | undefined {
  return kind === 'secret' ? readSecretRecord(text) : readConfigRecord(text)
}

/** The version a stored value claims, even when the rest of it does not read (so the next write never reuses one). */
function storedVersion(text: string): number {
  try {
    const v = (JSON.parse(text) as { version?: unknown }).version
    return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 ? v : 0
  } catch {
    return 0
  }
}

const view = (name: string, r: Dated): ApiSecret => ({ name, version: r.version, createdAt: r.createdAt, updatedAt: r.updatedAt })

/** Names, versions and dates of an app's secrets or configs, in name order (values that do not read are left out). */
export async function listValues(kv: Kv, keys: KeyLayout, kind: ValueKind, app: string): Promise<ApiSecret[]> {
  const prefix = prefixOf(keys, kind, app)
  return (await kv.list(prefix)).flatMap(e => {
    const rec = readRecord(kind, e.value)
    const name = e.key.slice(prefix.length)
    return rec && !name.includes('/') ? [view(name, rec)] : []
  })
}

export async function getConfig(kv: Kv, keys: KeyLayout, app: string, name: string): Promise<ApiConfigValue | undefined> {
  const e = await kv.get(keys.config(app, name))
  const rec = e && readConfigRecord(e.value)
  return rec && { ...view(name, rec), data: rec.data }
}

/** Writes the next version: the record `body(version)` makes, dated; retried until no other writer came between. */
async function writeNext<R extends Dated>(kv: Kv, key: string, now: () => string, body: (version: number) => Omit<R, keyof Dated>): Promise<Dated> {
  for (;;) {
    const e = await kv.get(key)
    const prev = e ? storedVersion(e.value) : 0
    const createdAt = (e && prev > 0 ? (JSON.parse(e.value) as { createdAt?: unknown }).createdAt : undefined)
    const at = now()
    const dated: Dated = { version: prev + 1, createdAt: typeof createdAt === 'string' ? createdAt : at, updatedAt: at }
    const rec = { ...dated, ...body(dated.version) }
    if (await kv.swap(key, e?.modRevision ?? 0, JSON.stringify(rec)) !== undefined) return dated
  }
}

/** Seals `value` for its app, name and next version, and stores it. */
export async function putSecret(kv: Kv, keys: KeyLayout, key: ClusterKey, now: () => string, app: string, name: string, value: Buffer): Promise<ApiSecret> {
  const dated = await writeNext<SecretRecord>(kv, keys.secret(app, name), now, version => ({ sealed: key.seal(value, secretAad(app, name, version)) }))
  return view(name, dated)
}

export async function putConfig(kv: Kv, keys: KeyLayout, now: () => string, app: string, name: string, data: string): Promise<ApiSecret> {
  return view(name, await writeNext<ConfigRecord>(kv, keys.config(app, name), now, () => ({ data })))
}

/** Deletes one; false when there was none. */
export async function deleteValue(kv: Kv, keys: KeyLayout, kind: ValueKind, app: string, name: string): Promise<boolean> {
  return (await kv.delete(keyOf(keys, kind, app, name))).prev !== undefined
}

/** Whether the app keeps any secret or config: its name then stays its owner's. */
export async function keepsValues(kv: Kv, keys: KeyLayout, app: string): Promise<boolean> {
  const [secrets, configs] = await Promise.all([kv.count(keys.secretsOf(app)), kv.count(keys.configsOf(app))])
  return secrets + configs > 0
}

/** The app's manifests (by name) that name this secret or config, as stored. */
export async function usersOf(kv: Kv, keys: KeyLayout, kind: ValueKind, app: string, name: string): Promise<string[]> {
  const users: string[] = []
  for (const e of await kv.list(keys.app(app))) {
    const ref = keys.parseManifestKey(e.key)
    if (!ref) continue
    let doc: { secrets?: unknown; configs?: unknown }
    try { doc = JSON.parse(e.value) as typeof doc } catch { continue }
    const named = kind === 'secret'
      ? Array.isArray(doc.secrets) && doc.secrets.includes(name)
      : typeof doc.configs === 'object' && doc.configs !== null && Object.values(doc.configs).includes(name)
    if (named) users.push(ref.name)
  }
  return users
}
