// Remembers which principal a token stands for, so a request costs no etcd reads for
// authentication. Correctness comes from an etcd watch on users and tokens: any change
// there (a revocation, on this builder or another) empties the cache. The TTL only
// bounds the damage if the watch were ever silently broken.
import type { KeyLayout } from '../../schemas/index.js'
import type { Principal } from '../store/accounts.js'
import { sleep } from '../../kit/backoff.js'
import type { Kv } from '../../kit/kv.js'

const TTL_MS = 30_000
const MAX_ENTRIES = 10_000

export class PrincipalCache {
  private entries = new Map<string, { p: Principal; at: number }>()
  private stopWatch?: () => Promise<void>

  constructor(private readonly kv: Kv, private readonly keys: KeyLayout, private readonly clock: () => number = Date.now) {}

  private starting?: Promise<void>

  /** Starts the watch in the background, once etcd has answered (so a builder that never
   * reached etcd leaves no watch retrying); until it runs, every lookup goes to etcd. */
  ensureStarted(): void {
    if (this.starting) return
    const { kv, keys } = this
    this.starting = (async () => {
      const stops = await Promise.all([keys.users, keys.tokens].map(prefix => kv.watchPrefix(prefix, () => this.clear())))
      this.stopWatch = async () => { await Promise.all(stops.map(s => s())) }
    })().catch(() => { this.starting = undefined })
  }

  async stop(): Promise<void> {
    // A watch still connecting would be left behind; wait for it only briefly.
    await Promise.race([this.starting, sleep(2000)])
    await this.stopWatch?.()
    this.stopWatch = undefined
    this.clear()
  }

  /** Only while the watch runs: without it a revocation elsewhere would go unseen. */
  get(token: string): Principal | undefined {
    if (!this.stopWatch) return undefined
    const e = this.entries.get(token)
    if (!e || this.clock() - e.at > TTL_MS) return undefined
    return e.p
  }

  set(token: string, p: Principal): void {
    if (!this.stopWatch) return
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear()
    this.entries.set(token, { p, at: this.clock() })
  }

  clear(): void {
    this.entries.clear()
  }
}
