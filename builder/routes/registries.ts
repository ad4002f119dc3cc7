// Private registries' credentials (issue 11), admin only: an admin stores a registry's
// username and password once, and every conductor pulls from that host with them — so
// they are the cluster's, not an app's, and no other user may read, replace or remove
// them. The password is sealed before it is stored and appears in no reply, log or error:
// the body is read as raw bytes and parsed here (registry-body.ts), never by fastify's JSON
// parser, whose errors quote the text.
import type { FastifyError, FastifyPluginAsync } from 'fastify'
import { registryHostProblem, registrySchema, type ApiRegistry } from '../../schemas/index.js'
import { principal, requireUser } from '../auth/authenticate.js'
import { sealingKey, type ClusterKeyHold } from '../cluster-key.js'
import type { BuilderContext } from '../context.js'
import { errorReply } from '../error-handler.js'
import { BadRequestError, ForbiddenError, NotFoundError } from '../errors.js'
import { passwordTooLarge, REGISTRY_BODY_LIMIT, registryLoginOf } from '../registry-body.js'
import { deleteRegistry, listRegistries, putRegistry } from '../store/registries.js'
import { described, withErrors } from './shapes.js'

const hostParams = {
  type: 'object', required: ['host'], additionalProperties: false,
  properties: { host: { type: 'string', description: 'the registry as image references name it: lowercase host[:port], or docker.io for Docker Hub' } },
} as const

/** The errors every route here may answer besides its own. */
function registryErrors<T extends Record<number, unknown>>(ok: T) {
  return {
    ...withErrors(ok),
    400: described('DKA_BUILDER_BAD_REQUEST: the host is not a registry address (lowercase host[:port]), or the body breaks its rule (the message names the field and the rule)'),
    403: described('DKA_BUILDER_FORBIDDEN: only an admin manages registry credentials'),
    404: described('DKA_BUILDER_NOT_FOUND: no credentials stored for the host'),
  }
}

/** The host in the path, by the contract's rule: a 400 naming it otherwise. */
function hostOf(params: unknown): string {
  const host = (params as { host?: string; '*'?: string }).host ?? (params as { '*'?: string })['*'] ?? ''
  const problem = registryHostProblem(host)
  if (problem) throw new BadRequestError(problem)
  return host
}

export const registryRoutes: FastifyPluginAsync<{ ctx: BuilderContext; clusterKey: ClusterKeyHold; clock?: () => number }> = async (app, { ctx, clusterKey, clock = Date.now }) => {
  app.addHook('onRequest', requireUser(ctx))
  // Before the body is read: a non-admin learns nothing, not even whether the body would do.
  app.addHook('onRequest', async request => {
    if (!principal(request).admin) throw new ForbiddenError('only an admin manages registry credentials')
  })
  const now = () => new Date(clock()).toISOString()

  // Every body as bytes: registry-body.ts parses the JSON without echoing it.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body))
  const respond = errorReply(ctx.kv)
  app.setErrorHandler(async (err: FastifyError, request, reply) =>
    respond(err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? passwordTooLarge() : err, request, reply))

  app.get('/api/v1/registries', {
    schema: { summary: 'Stored registry credentials (admin): host, username and dates, by host — never a password', response: registryErrors({ 200: { type: 'array', items: registrySchema } }) },
  }, async (): Promise<ApiRegistry[]> => listRegistries(ctx.kv, ctx.keys))

  app.put('/api/v1/registries/:host', {
    bodyLimit: REGISTRY_BODY_LIMIT,
    schema: {
      summary: 'Store (or replace) the credentials conductors pull from a registry with (admin): JSON {"username", "password"}; the password is sealed under the cluster key (additional data dokkaa-registry:<host>) and never answered',
      params: hostParams,
      response: registryErrors({
        200: registrySchema, 201: registrySchema,
        413: described('DKA_BUILDER_BAD_REQUEST: the password is larger than MAX_REGISTRY_PASSWORD_BYTES (4096 bytes)'),
        415: described('DKA_BUILDER_BAD_REQUEST: the body is not application/json'),
        503: described('DKA_BUILDER_SECRETS_UNAVAILABLE: the builder has no usable cluster key (--cluster-key-file); the message names the file and the fix'),
      }),
    },
  }, async (request, reply): Promise<ApiRegistry> => {
    const host = hostOf(request.params)
    // Before the body is looked at: a builder without the key refuses whatever is sent.
    const key = sealingKey(clusterKey, 'registry credentials')
    const login = registryLoginOf(request.body, request.headers['content-type'])
    const { registry, created } = await putRegistry(ctx.kv, ctx.keys, key, now, host, login.username, login.password)
    request.log.info({ registry: host, username: login.username }, 'registry credentials written')
    reply.code(created ? 201 : 200)
    return registry
  })

  app.delete('/api/v1/registries/:host', {
    schema: { summary: 'Remove a registry\'s credentials (admin); conductors then pull from it anonymously', params: hostParams, response: registryErrors({ 204: { type: 'null' } }) },
  }, async (request, reply) => {
    const host = hostOf(request.params)
    if (!await deleteRegistry(ctx.kv, ctx.keys, host)) throw new NotFoundError(`no credentials stored for registry ${host}`)
    request.log.info({ registry: host }, 'registry credentials deleted')
    reply.code(204)
  })

  // A host with a "/" in it ("a/b", sent unencoded) reaches no route above: answered with the
  // host's rule, not the router's bare 404. Hidden: they are the same routes, mistyped.
  for (const method of ['PUT', 'DELETE'] as const) {
    app.route({ method, url: '/api/v1/registries/*', schema: { hide: true }, handler: async request => { hostOf(request.params); throw new NotFoundError('no such route') } })
  }
}
