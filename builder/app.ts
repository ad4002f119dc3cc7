// The builder's fastify app, built from an etcd client and a key layout so tests can run
// it in-process (`app.inject`) against a real etcd under their own prefix.
import { fileURLToPath } from 'node:url'
import cookie from '@fastify/cookie'
import swagger from '@fastify/swagger'
import type { Etcd3 } from 'etcd3'
import Fastify, { type FastifyInstance } from 'fastify'
import { DEFAULT_LIMITS, type KeyLayout } from '../schemas/index.js'
import type { BuilderContext } from './context.js'
import { DEFAULT_PASSWORD_LIMIT, PasswordLimiter, type PasswordLimit } from './auth/password-limiter.js'
import { PrincipalCache } from './auth/principal-cache.js'
import { errorReply, installErrorHandler } from './error-handler.js'
import { EventsHub } from './events-hub.js'
import { appRoutes } from './routes/apps.js'
import { consoleRoutes } from './routes/console.js'
import { eventRoutes } from './routes/events.js'
import { hostRoutes } from './routes/hosts.js'
import { lifecycleRoutes } from './routes/lifecycle.js'
import { logRoutes } from './routes/logs.js'
import { volumeRoutes } from './routes/volumes.js'
import { secretRoutes } from './routes/secrets.js'
import { registryRoutes } from './routes/registries.js'
import { tlsRoutes } from './routes/tls.js'
import { DEFAULT_CLUSTER_KEY_FILE } from '../kit/secret-box.js'
import { holdClusterKey } from './cluster-key.js'
import { refuseBadNames } from './routes/names-hook.js'
import { sessionRoutes } from './routes/session.js'
import { tokenRoutes } from './routes/tokens.js'
import { userRoutes } from './routes/users.js'
import { v2KeyRoutes } from './routes/v2-keys.js'
import { Accounts } from './store/accounts.js'
import { Apps } from './store/apps.js'
import { etcdKv, type Kv } from '../kit/kv.js'
import { PolicySource } from './store/policy-source.js'
import { readAgentToken } from './store/record-shapes.js'
import { AgentClient, httpsAgentsWithoutCa } from './agent-client.js'
import type { TlsClientMaterial } from '../kit/tls-fetch.js'

export interface BuildAppOptions {
  client: Etcd3
  keys: KeyLayout
  /** pino options or false; the CLI passes its level. */
  logger?: boolean | { level: string }
  /** Set the Secure flag on the session cookie (behind https). */
  secureCookies?: boolean
  /** Serve HTTPS with this certificate and key (PEM contents); undefined: plain http. */
  https?: { cert: Buffer; key: Buffer }
  /** The CA and client certificate for https:// agent APIs (mutual TLS); undefined: those are refused. */
  agentTls?: TlsClientMaterial
  /** Wrong passwords allowed per user and per client address per window, for every password check. */
  passwordLimit?: PasswordLimit
  publicDir?: string
  clock?: () => number
  /** The cluster key secrets are sealed with (default /etc/dokkaa/cluster.key); without a usable one, secret writes answer 503. */
  clusterKeyFile?: string
}

export const DEFAULT_PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url))

/**
 * Largest request body: a manifest at the size limit (limits.bytes) still fits when sent as
 * a form value, percent-encoded (up to 3×) — what is larger is refused (413) before it is
 * read; what fits is then held to the manifest limits by parseManifest.
 */
export const BODY_LIMIT = 4 * DEFAULT_LIMITS.bytes

export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  const { keys } = opts
  const kv: Kv = etcdKv(opts.client)
  const clock = opts.clock ?? Date.now
  const respond = errorReply(kv)
  const policy = new PolicySource(kv, keys, errors =>
    app.log.warn({ errors }, `${keys.policy} is not a valid cluster policy; the last valid one stays in force`))
  let agentToken: string | undefined
  const hub = new EventsHub(kv, keys)
  const principals = new PrincipalCache(kv, keys, clock)
  const apps = new Apps(kv, keys, () => policy.current(), clock,
    err => app.log.warn({ err: err.message }, 'reading /apps again after a canceled etcd watch failed; retrying'),
    (key, why) => app.log.warn({ key }, `skipping an etcd value: ${why}`))
  const ctx: BuilderContext = {
    kv, keys, hub,
    accounts: new Accounts(kv, keys, clock, principals),
    apps,
    passwords: new PasswordLimiter(opts.passwordLimit ?? DEFAULT_PASSWORD_LIMIT, clock),
    async agentToken() {
      if (agentToken) return agentToken
      agentToken = readAgentToken((await kv.get(keys.agentToken))?.value)
      return agentToken
    },
    agents: new AgentClient(opts.agentTls, () => ctx.agentToken()),
  }

  // HTTPS when given (--tls-cert/--tls-key); every route and hook is the same either way.
  const app = Fastify({
    ...(opts.https ? { https: opts.https } : {}),
    logger: opts.logger ?? false,
    bodyLimit: BODY_LIMIT,
    // Long enough that a 400-character name reaches the naming rule (a 400 that says why)
    // instead of the router's bare 414; longer paths still get a 414 in our error shape.
    routerOptions: { maxParamLength: 2048 },
    // The router's own errors (a malformed percent-encoding, a too-long parameter) are
    // answered by the one error handler's code (fastify's default handler would answer
    // them here), so they speak the builder's (or etcd v2's) shape.
    frameworkErrors: (err, request, reply) => {
      void respond(err, request, reply).then(body => (reply as unknown as { send(payload: unknown): unknown }).send(body))
    },
    // Closing ends every connection: log follows and event streams never finish by
    // themselves, and a kept-alive one would hold close() for fastify's 72 s keep-alive.
    forceCloseConnections: true,
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, allErrors: true } },
  })
  const clusterKey = holdClusterKey(opts.clusterKeyFile ?? DEFAULT_CLUSTER_KEY_FILE)
  // Once, at start: everything but secret writes works without it.
  if (clusterKey.problem) app.log.warn({ clusterKeyFile: clusterKey.file }, `secrets cannot be stored until the cluster key is fixed: ${clusterKey.problem}`)
  app.addHook('onClose', async () => { await hub.stop(); await principals.stop(); await apps.stop() })
  installErrorHandler(app, kv)
  if (!opts.agentTls) {
    app.addHook('onListen', async () => {
      // Not awaited: a slow etcd must not hold the listener; a failed read only skips the warning.
      void httpsAgentsWithoutCa(kv, keys).then(hosts => {
        if (hosts.length) app.log.warn({ hosts }, 'these hosts serve their agent API over HTTPS, but the builder has no --agent-ca: their logs and volume removal fail until it is started with --agent-ca, --agent-cert and --agent-key')
      }, () => undefined)
    })
  }
  // text/plain bodies are manifest text from the console's editor.
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_req, body, done) => done(null, body))

  // Every :app and :name in a path, by the contract's rule, before the route's schema.
  app.addHook('preValidation', refuseBadNames)

  await app.register(cookie)
  await app.register(swagger, {
    openapi: {
      info: { title: 'Dokkaa builder API', version: '1', description: 'Apps, manifests, instances, lifecycle, logs, hosts, users and tokens, secrets, configs and registry credentials; plus the etcd v2 keys API on /v2/keys/apps.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, basic: { type: 'http', scheme: 'basic' }, cookie: { type: 'apiKey', in: 'cookie', name: 'dokkaa_session' } } },
      security: [{ bearer: [] }, { basic: [] }, { cookie: [] }],
    },
  })

  await app.register(sessionRoutes, { ctx, secureCookies: opts.secureCookies ?? false })
  await app.register(userRoutes, { ctx })
  await app.register(tokenRoutes, { ctx })
  await app.register(appRoutes, { ctx })
  await app.register(lifecycleRoutes, { ctx })
  await app.register(logRoutes, { ctx })
  await app.register(volumeRoutes, { ctx })
  await app.register(secretRoutes, { ctx, clusterKey, clock })
  await app.register(registryRoutes, { ctx, clusterKey, clock })
  await app.register(tlsRoutes, { ctx, clock })
  await app.register(hostRoutes, { ctx })
  await app.register(eventRoutes, { ctx })
  await app.register(v2KeyRoutes, { ctx })
  await app.register(consoleRoutes, { publicDir: opts.publicDir ?? DEFAULT_PUBLIC_DIR })

  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }))
  return app
}
