// The reader of the record only the scheduler reads back: the volume homes it writes.
// Like every reader (conductor/etcd-records.ts), it returns only what it checked, or
// undefined for a value of the wrong shape.
import { MAX_RECORD_BYTES } from '../etcd-records.js'
import { isHostId, readVolumeHome, type VolumeHomeRecord } from '../../schemas/index.js'

/** A volume home, or undefined: of the wrong shape, larger than any record, or naming no possible host. */
export function readOwnVolumeHome(text: string): VolumeHomeRecord | undefined {
  if (text.length > MAX_RECORD_BYTES) return undefined
  const home = readVolumeHome(text)
  return home && isHostId(home.host) ? home : undefined
}
