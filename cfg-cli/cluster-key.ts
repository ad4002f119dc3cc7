// The cluster key file a cluster's builder seals secrets with and its conductors open them
// with (kit/secret-box.ts): made once per cluster, 32 random bytes in base64, mode 0600,
// never replaced — the secrets in etcd are sealed under it. `up` passes this one file to
// every part it starts, through DOKKAA_CLUSTER_KEY_FILE (each part's --cluster-key-file).
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

export const CLUSTER_KEY_ENV = 'DOKKAA_CLUSTER_KEY_FILE'

/** Creates the key file unless it exists; keeps it at mode 0600 either way. Returns the path. */
export function ensureClusterKey(path: string): string {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true })
    // Written whole under another name first: a crash never leaves a short key behind.
    const tmp = `${path}.tmp`
    writeFileSync(tmp, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 })
    renameSync(tmp, path)
  }
  chmodSync(path, 0o600)
  return path
}
