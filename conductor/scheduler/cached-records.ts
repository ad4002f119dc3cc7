// How the scheduler's cache reads each kind of key it watches: by the reader of its kind
// (etcd-records.ts, assignment-record.ts, scheduler-records.ts, schemas' readers and
// parsePolicy). A value of the wrong shape reads as undefined and is reported, once, by
// the caller's `report`; nothing of a secret's value is ever in a report, only its key.
import {
  isName, parsePolicy, parsePortValue, readConfigRecord, readSecretRecord, type KeyLayout,
} from '../../schemas/index.js'
import { readAssignment } from '../assignment-record.js'
import { readControlRecord, readHostRecord, readInstanceRecord, readOwner, readStatusRecord } from '../etcd-records.js'
import { readOwnVolumeHome } from './scheduler-records.js'

export type Kind = 'manifest' | 'control' | 'status' | 'host' | 'assignment' | 'instance' | 'policy' | 'owner' | 'port' | 'portOwner' | 'volumeHome'
  | 'secret' | 'config'

/** The parsed value of a key of `kind`; `report` hears why a value is unusable. */
export function readCached(kind: Kind, key: string, value: string, keys: KeyLayout, report: (what: string) => void): unknown {
  const skip = (what: string) => report(`${what}; skipped until it is rewritten`)
  switch (kind) {
    case 'manifest': {
      const ref = keys.parseManifestKey(key)!
      if (!isName(ref.app) || !isName(ref.name)) report('a manifest key with an invalid app or name: never scheduled; its status says why')
      return undefined // validated by toInput, with errors for the user
    }
    case 'control': {
      const r = readControlRecord(value)
      if (!r) skip('a control record of the wrong shape')
      return r
    }
    case 'status': {
      const r = readStatusRecord(value)
      if (!r) skip('a status of the wrong shape (the scheduler writes it anew)')
      return r
    }
    case 'host': {
      const read = readHostRecord(keys.parseHost(key)!, value)
      if (!read.wellFormed) report('a host record of the wrong shape: the host counts as alive, but takes no instances')
      return read
    }
    case 'assignment': {
      const r = readAssignment(value)
      if (!r.ok) { skip(`an unreadable assignment (${r.reason}); it is replaced`); return undefined }
      return r.assignment
    }
    case 'instance': {
      const r = readInstanceRecord(value)
      if (!r) skip('an instance record of the wrong shape')
      return r
    }
    case 'owner': {
      const r = readOwner(value)
      if (!r) skip('an owner record of the wrong shape: the app counts as root\'s')
      return r
    }
    case 'port': {
      const port = parsePortValue(value)
      if (port === undefined) report('a service port that is not a port number: links to it get no SERVICE_X_PORT until the key is deleted (a new port is then allocated)')
      return port
    }
    case 'portOwner':
      return undefined
    case 'volumeHome': {
      const r = readOwnVolumeHome(value)
      if (!r) skip('a volume home of the wrong shape: counts as none (the instance\'s next placement records its home anew)')
      return r
    }
    case 'secret': {
      // The record holds only the sealed value; nothing of it is logged, only the key.
      const r = readSecretRecord(value)
      if (!r) skip('a secret record of the wrong shape: the secret counts as missing')
      return r
    }
    case 'config': {
      const r = readConfigRecord(value)
      if (!r) skip('a config record of the wrong shape: the config counts as missing')
      return r
    }
    case 'policy':
      return parsePolicy(value) // taken (or refused, logged) by the cache
  }
}
