// What every route plugin gets: the stores, the key layout and the live-change hub.
import type { KeyLayout } from '../schemas/index.js'
import type { EventsHub } from './events-hub.js'
import type { Accounts } from './store/accounts.js'
import type { Apps } from './store/apps.js'
import type { Kv } from './store/kv.js'

export interface BuilderContext {
  kv: Kv
  keys: KeyLayout
  accounts: Accounts
  apps: Apps
  hub: EventsHub
  /** The bearer token conductors' agent APIs accept (read from etcd, cached). */
  agentToken(): Promise<string | undefined>
}
