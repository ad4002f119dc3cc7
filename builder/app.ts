// The builder's fastify app, built from an etcd client and a key layout so tests can run
// it in-process (`app.inject`) against a real etcd under their own prefix.
import { fileURLToPath } from 'node:url'
import cookie from '@fastify/cookie'
import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import type { Etcd3 } from 'etcd3'
import Fastify, { type FastifyInstance } from 'fastify'
import type { AgentTokenRecord, ClusterPolicy, KeyLayout } from '../schemas/index.js'
import type { BuilderContext } from './context.js'
import { PrincipalCache } from './auth/principal-cache.js'
import { installErrorHandler } from './error-handler.js'
import { RateLimitedError } from './errors.js'
import { EventsHub } from './events-hub.js'
import { appRoutes } from './routes/apps.js'
import { consoleRoutes } from './routes/console.js'
import { eventRoutes } from './routes/events.js'
import { hostRoutes } from './routes/hosts.js'
import { lifecycleRoutes } from './routes/lifecycle.js'
import { logRoutes } from './routes/logs.js'
import { sessionRoutes } from './routes/session.js'
import { tokenRoutes } from './routes/tokens.js'
import { userRoutes } from './routes/users.js'
import { v2KeyRoutes } from './routes/v2-keys.js'
import { Accounts } from './store/accounts.js'
import { Apps } from './store/apps.js'
import { etcdKv, type Kv } from './store/kv.js'

export interface BuildAppOptions {
  client: Etcd3
  keys: KeyLayout
  /** pino options or false; the CLI passes its level. */
  logger?: boolean | { level: string }
  /** Set the Secure flag on the session cookie (behind https). */
  secureCookies?: boolean
  /** Login attempts per client address per window (ms). */
  loginRateLimit?: { max: number; timeWindow: number }
  publicDir?: string
  clock?: () => number
}

export const DEFAULT_PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url))

export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  const { keys } = opts
  const kv: Kv = etcdKv(opts.client)
  const clock = opts.clock ?? Date.now
  const policy = async (): Promise<ClusterPolicy> => {
    const e = await kv.get(keys.policy)
    try { return e ? JSON.parse(e.value) as ClusterPolicy : {} } catch { return {} }
  }
  let agentToken: string | undefined
  const hub = new EventsHub(kv, keys)
  const principals = new PrincipalCache(kv, keys, clock)
  const apps = new Apps(kv, keys, policy, clock, err => app.log.warn({ err: err.message }, 'reading /apps again after a canceled etcd watch failed; retrying'))
  const ctx: BuilderContext = {
    kv, keys, hub,
    accounts: new Accounts(kv, keys, clock, principals),
    apps,
    async agentToken() {
      if (agentToken) return agentToken
      const e = await kv.get(keys.agentToken)
      agentToken = e ? (JSON.parse(e.value) as AgentTokenRecord).token : undefined
      return agentToken
    },
  }

  const app = Fastify({
    logger: opts.logger ?? false,
    // Manifests are small; a larger body is a mistake or an attack.
    bodyLimit: 256 * 1024,
    // Closing ends every connection: log follows and event streams never finish by
    // themselves, and a kept-alive one would hold close() for fastify's 72 s keep-alive.
    forceCloseConnections: true,
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, allErrors: true } },
  })
  app.addHook('onClose', async () => { await hub.stop(); await principals.stop(); await apps.stop() })
  installErrorHandler(app, kv)
  // text/plain bodies are manifest text from the console's editor.
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_req, body, done) => done(null, body))

  await app.register(cookie)
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) => new RateLimitedError(`too many login attempts; retry in ${Math.ceil(ctx.ttl / 1000)} s`),
  })
  await app.register(swagger, {
    openapi: {
      info: { title: 'Dokkaa builder API', version: '1', description: 'Apps, manifests, instances, lifecycle, logs, hosts, users and tokens; plus the etcd v2 keys API on /v2/keys/apps.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, basic: { type: 'http', scheme: 'basic' }, cookie: { type: 'apiKey', in: 'cookie', name: 'dokkaa_session' } } },
      security: [{ bearer: [] }, { basic: [] }, { cookie: [] }],
    },
  })

  await app.register(sessionRoutes, { ctx, secureCookies: opts.secureCookies ?? false, loginRateLimit: opts.loginRateLimit ?? { max: 10, timeWindow: 60_000 } })
  await app.register(userRoutes, { ctx })
  await app.register(tokenRoutes, { ctx })
  await app.register(appRoutes, { ctx })
  await app.register(lifecycleRoutes, { ctx })
  await app.register(logRoutes, { ctx })
  await app.register(hostRoutes, { ctx })
  await app.register(eventRoutes, { ctx })
  await app.register(v2KeyRoutes, { ctx })
  await app.register(consoleRoutes, { publicDir: opts.publicDir ?? DEFAULT_PUBLIC_DIR })

  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }))
  return app
}
