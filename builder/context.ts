// What every route plugin gets: the stores, the key layout, the live-change hub and the
// password limiter every password check shares.
import type { KeyLayout } from '../schemas/index.js'
import type { Authenticator } from './auth/authenticate.js'
import type { PasswordLimiter } from './auth/password-limiter.js'
import type { EventsHub } from './events-hub.js'
import type { Accounts } from './store/accounts.js'
import type { Apps } from './store/apps.js'
import type { Kv } from '../kit/kv.js'
import type { AgentClient } from './agent-client.js'

export interface BuilderContext extends Authenticator {
  kv: Kv
  keys: KeyLayout
  accounts: Accounts
  apps: Apps
  hub: EventsHub
  passwords: PasswordLimiter
  /** The bearer token conductors' agent APIs accept (read from etcd, cached). */
  agentToken(): Promise<string | undefined>
  /** Calls to the conductors' agent APIs, with that token (and, to https ones, the builder's client certificate). */
  agents: AgentClient
}
