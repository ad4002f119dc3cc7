// The builder's hold on the cluster key: read once at start. Secrets are optional, so a
// builder without a usable key still serves everything else; only a secret write needs the
// key, and it is refused with the reason (which names the file and the fix), never sealed
// under some other key the conductors could not open.
import { ClusterKeyError, readClusterKey, type ClusterKey } from '../kit/secret-box.js'
import { SecretsUnavailableError } from './errors.js'

export type ClusterKeyHold = { file: string; key: ClusterKey; problem?: undefined } | { file: string; key?: undefined; problem: string }

export function holdClusterKey(file: string): ClusterKeyHold {
  try {
    return { file, key: readClusterKey(file) }
  } catch (err) {
    if (!(err instanceof ClusterKeyError)) throw err
    return { file, problem: err.message }
  }
}

/** The key, or the 503 a secret (or registry password) write answers without one; `what` names what cannot be stored. */
export function sealingKey(hold: ClusterKeyHold, what = 'secrets'): ClusterKey {
  if (hold.key) return hold.key
  throw new SecretsUnavailableError(`${what} cannot be stored: this builder has no usable cluster key (--cluster-key-file ${hold.file}): ${hold.problem}; then restart the builder`)
}
