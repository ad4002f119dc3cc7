// Sealing secrets under the cluster key: AES-256-GCM with a random 96-bit IV, and additional
// data that binds a ciphertext to its app, name and version (schemas/secrets.ts secretAad),
// so a sealed value copied elsewhere in etcd does not open. The key is a file of 32 random
// bytes in base64 (`openssl rand -base64 32`), mode 0600, the same on every host: written
// by deploy/install.sh and `dokkaacfg up`, read by the builder (to seal) and by conductors
// (to open). It never enters etcd.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import type { SealedValue } from '../schemas/index.js'

export const DEFAULT_CLUSTER_KEY_FILE = '/etc/dokkaa/cluster.key'

export interface ClusterKey {
  /** The first 16 hex digits of the key's SHA-256: which key sealed a value. */
  readonly id: string
  seal(plain: Buffer, aad: string): SealedValue
  /** Throws when the value was sealed under another key, or altered, or moved (aad). */
  open(sealed: SealedValue, aad: string): Buffer
}

export class ClusterKeyError extends Error {}

/** The key from its 32 raw bytes. */
export function clusterKey(raw: Buffer): ClusterKey {
  if (raw.length !== 32) throw new ClusterKeyError(`a cluster key is 32 bytes, got ${raw.length}`)
  const key = Buffer.from(raw)
  const id = createHash('sha256').update(key).digest('hex').slice(0, 16)
  return {
    id,
    seal(plain, aad) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      cipher.setAAD(Buffer.from(aad))
      const data = Buffer.concat([cipher.update(plain), cipher.final()])
      return { alg: 'aes-256-gcm', keyId: id, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') }
    },
    open(sealed, aad) {
      if (sealed.keyId !== id) throw new ClusterKeyError(`sealed under cluster key ${sealed.keyId}, this host has ${id}: copy the cluster's key file to this host`)
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'))
      decipher.setAAD(Buffer.from(aad))
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'))
      try {
        return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()])
      } catch {
        throw new ClusterKeyError('the sealed value does not open: altered, or copied from another secret or version')
      }
    },
  }
}

/** Reads the key file; refuses one that others than its owner may read, or of the wrong size. */
export function readClusterKey(path: string): ClusterKey {
  let mode: number
  let text: string
  try {
    mode = statSync(path).mode & 0o777
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new ClusterKeyError(`cannot read the cluster key ${path}: ${(err as Error).message} (deploy/install.sh and dokkaacfg up create it; copy the same file to every host, mode 0600)`)
  }
  if ((mode & 0o077) !== 0) throw new ClusterKeyError(`the cluster key ${path} is readable by others (mode ${mode.toString(8)}): chmod 600 ${path}`)
  const raw = Buffer.from(text.trim(), 'base64')
  if (raw.length !== 32) throw new ClusterKeyError(`the cluster key ${path} is not 32 bytes in base64 (make one with: openssl rand -base64 32 > ${path}; chmod 600 ${path})`)
  return clusterKey(raw)
}
