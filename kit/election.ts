// Leader election over etcd, as etcd's own concurrency package does it (through etcd3's
// Election): each candidate writes a key under the election's prefix on a lease of its
// own, kept alive by this process; the candidate with the oldest key leads. A candidate
// that dies stops renewing, its key goes with its lease after the TTL, and the next one
// leads. The leader's key is what its writes are guarded by (a transaction that requires
// it to exist), so a deposed leader can never write over its successor.
import type { Campaign } from 'etcd3'
import type { EtcdClient } from './kv.js'

/** An election: the keys `${prefix}/${name}/<lease id>`. */
export interface ElectionAt {
  client: EtcdClient
  /** The key layout's prefix (KeyLayout.prefix); the election's keys live under it. */
  prefix: string
  /** The election's name ("scheduler"). */
  name: string
}

export interface CampaignHandlers {
  /** This candidate leads now; `leaderKey` is its key, the guard of its writes. */
  elected(leaderKey: string): void
  /** The campaign ended (its lease was lost, etcd unreachable): stand again if you want to lead. */
  failed(err: Error): void
}

export interface Candidacy {
  /** Withdraws: the key goes (a leader's successor takes over at once). Never rejects. */
  resign(): Promise<void>
}

function electionOf(at: ElectionAt, ttl?: number) {
  return at.client.namespace(`${at.prefix}/`).election(at.name, ttl)
}

/** Stands as `value` (the candidate's name, what leaderOf reports) on a lease of `ttl` seconds. */
export function campaign(at: ElectionAt, value: string, ttl: number, handlers: CampaignHandlers): Candidacy {
  const c: Campaign = electionOf(at, ttl).campaign(value)
  let over = false
  c.on('elected', () => {
    c.getCampaignKey().then(key => { if (!over) handlers.elected(key) }, (err: Error) => { if (!over) handlers.failed(err) })
  })
  c.on('error', (err: Error) => { if (!over) handlers.failed(err) })
  return {
    async resign() {
      over = true
      await c.resign().catch(() => undefined)
    },
  }
}

/** The value of the candidate that leads now, if any. */
export function leaderOf(at: ElectionAt): Promise<string | undefined> {
  return electionOf(at).leader()
}
