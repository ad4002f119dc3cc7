// Everything this conductor says about its host lives under one etcd lease, so a dead
// host's records vanish by themselves. The keeper remembers every key it owns; when the
// lease is lost (etcd unreachable for longer than the TTL), it grants a new one as soon
// as etcd answers again and writes all of them back. etcd is reached through kit/kv.ts.
import type { Logger } from 'pino'
import { backoffDelay } from '../kit/backoff.js'
import { kvOf, type EtcdClient, type Kv, type KvLease } from '../kit/kv.js'
import { singleFlight } from '../kit/single-flight.js'

export class LeaseKeeper {
  private lease?: KvLease
  private readonly kv: Kv
  private readonly owned = new Map<string, string>()
  /** key -> the lease our last successful write put it under: proof the key is still ours. */
  private readonly leaseOf = new Map<string, string>()
  private readonly unsynced = new Set<string>()
  private stopped = false

  /** `onKeyTaken`: a key we held was written by someone else while we were cut off; we gave it up. */
  constructor(store: Kv | EtcdClient, private readonly ttl: number, private readonly log: Logger,
    private readonly onKeyTaken: (key: string) => void = () => {}) {
    this.kv = kvOf(store)
  }

  /** Resolves once a lease is granted (retrying while etcd is unreachable). */
  start(): Promise<void> {
    return this.regrant()
  }

  get leaseId(): Promise<string> | undefined {
    return this.lease ? Promise.resolve(this.lease.id) : undefined
  }

  /** Writes key under the lease; remembered, so a new lease gets it too. Never throws: a failed
   * write is retried by flush() or the next re-grant. Returns whether etcd has it now. */
  async put(key: string, value: string): Promise<boolean> {
    this.owned.set(key, value)
    const lease = this.lease
    if (!lease) {
      this.unsynced.add(key)
      return false
    }
    try {
      await lease.put(key, value)
      this.leaseOf.set(key, lease.id)
      this.unsynced.delete(key)
      return true
    } catch (err) {
      this.unsynced.add(key)
      this.log.warn({ err: (err as Error).message, key }, 'etcd write failed; will retry')
      return false
    }
  }

  /** Writes a key again after an outage, but only while it is still ours: absent (our lease
   * expired with it), or still under the lease of our last write. A key another host wrote
   * meanwhile (the scheduler moved the instance) is given up, never overwritten. */
  private async reclaim(key: string, value: string): Promise<boolean> {
    const lease = this.lease
    if (!lease) return false
    try {
      const id = lease.id
      const prev = this.leaseOf.get(key)
      let ok = await lease.put(key, value, 'absent')
      // Ours: under the lease of our last write, or already under the new one (a concurrent
      // put() got there first; leaseOf may not say so yet).
      for (const owner of new Set([prev, this.leaseOf.get(key), id])) {
        if (!ok && owner !== undefined) ok = await lease.put(key, value, { lease: owner })
      }
      if (ok) {
        this.leaseOf.set(key, id)
        this.unsynced.delete(key)
        return true
      }
      this.owned.delete(key)
      this.leaseOf.delete(key)
      this.unsynced.delete(key)
      this.log.warn({ key }, 'another host wrote this key while we were cut off from etcd; leaving it to them')
      this.onKeyTaken(key)
      return false
    } catch (err) {
      this.unsynced.add(key)
      this.log.warn({ err: (err as Error).message, key }, 'etcd write failed; will retry')
      return false
    }
  }

  /** Deletes a key we own. With `onlyIf`, deletes only while it still holds that value, so a
   * key another host has taken over since is left alone (and we say so, as reclaim does). */
  async delete(key: string, onlyIf?: string): Promise<boolean> {
    this.owned.delete(key)
    this.leaseOf.delete(key)
    this.unsynced.delete(key)
    try {
      if (onlyIf === undefined) {
        await this.kv.delete(key)
        return true
      }
      // Not ours any more: someone wrote it since our last write (absent is simply gone).
      if (await this.kv.deleteIf(key, onlyIf) === 'changed') {
        this.log.warn({ key }, 'another host wrote this key since our last write; leaving it to them')
      }
      return true
    } catch (err) {
      this.log.warn({ err: (err as Error).message, key }, 'etcd delete failed')
      return false
    }
  }

  owns(key: string): boolean {
    return this.owned.has(key)
  }

  ownedKeys(): string[] {
    return [...this.owned.keys()]
  }

  /** Retries writes that failed while etcd was unreachable (only keys that are still ours). */
  async flush(): Promise<void> {
    for (const key of [...this.unsynced]) {
      const value = this.owned.get(key)
      if (value !== undefined) await this.reclaim(key, value)
    }
  }

  /** Stops the keep-alives without revoking: records stay until the TTL runs out, and a
   * conductor restarted in time takes them over without a gap. */
  release(): void {
    this.stopped = true
    this.lease?.release()
  }

  /** One grant loop at a time, however many losses and starts ask for one. */
  private readonly regrant = singleFlight(() => this.grantLoop())

  private async grantLoop(): Promise<void> {
    // Short: when etcd returns it renews our old lease for just one TTL; a new lease
    // must be in place (and our keys moved onto it) before that runs out.
    const policy = { baseMs: 250, maxMs: this.ttl * 250 }
    for (let attempt = 0; !this.stopped; attempt++) {
      let lease: KvLease | undefined
      try {
        // onLost is only ever called once the grant resolved, so `lease` is set by then.
        lease = await this.kv.grantLease(this.ttl, err => {
          if (this.stopped || this.lease !== lease) return
          this.log.warn({ err: err.message }, 'etcd lease lost; granting a new one and writing our keys again')
          this.lease = undefined
          void this.regrant()
        })
        this.lease = lease
        this.log.info({ lease: lease.id, ttl: this.ttl }, 'etcd lease granted')
        for (const [key, value] of [...this.owned]) await this.reclaim(key, value)
        return
      } catch (err) {
        // A grant etcd refused is released by kit/kv already.
        lease?.release()
        const delay = backoffDelay(attempt, policy)
        this.log.warn({ err: (err as Error).message, retryInMs: delay }, 'cannot grant an etcd lease; retrying')
        await new Promise(r => setTimeout(r, delay))
      }
    }
  }
}
