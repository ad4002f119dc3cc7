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

/** Kinds read by one reader each, and what a value it refuses is reported as (then skipped until it is rewritten). */
const READERS: Partial<Record<Kind, [read: (value: string) => unknown, refused: string]>> = {
  control: [readControlRecord, 'a control record of the wrong shape'],
  status: [readStatusRecord, 'a status of the wrong shape (the scheduler writes it anew)'],
  instance: [readInstanceRecord, 'an instance record of the wrong shape'],
  owner: [readOwner, 'an owner record of the wrong shape: the app counts as root\'s'],
  volumeHome: [readOwnVolumeHome, 'a volume home of the wrong shape: counts as none (the instance\'s next placement records its home anew)'],
  // The record holds only the sealed value; nothing of it is reported, only the key.
  secret: [readSecretRecord, 'a secret record of the wrong shape: the secret counts as missing'],
  config: [readConfigRecord, 'a config record of the wrong shape: the config counts as missing'],
}

/** The parsed value of a key of `kind`; `report` hears why a value is unusable. */
export function readCached(kind: Kind, key: string, value: string, keys: KeyLayout, report: (what: string) => void): unknown {
  const skip = (what: string) => report(`${what}; skipped until it is rewritten`)
  const reader = READERS[kind]
  if (reader) {
    const r = reader[0](value)
    if (r === undefined) skip(reader[1])
    return r
  }
  switch (kind) {
    case 'manifest': {
      const ref = keys.parseManifestKey(key)!
      if (!isName(ref.app) || !isName(ref.name)) report('a manifest key with an invalid app or name: never scheduled; its status says why')
      return undefined // validated by toInput, with errors for the user
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
    case 'port': {
      const port = parsePortValue(value)
      if (port === undefined) report('a service port that is not a port number: links to it get no SERVICE_X_PORT until the key is deleted (a new port is then allocated)')
      return port
    }
    case 'policy':
      return parsePolicy(value) // taken (or refused, logged) by the cache
    default:
      return undefined // portOwner: only the key matters
  }
}
