// An app's secrets and configs (issue 11): its owner (or an admin) writes, lists and
// deletes them; a config's text can be read back, a secret's value never — every reply
// about a secret is its name, version and dates (and the reply schemas drop anything
// else). Bodies are read here as raw bytes, whatever their type, and never logged or
// quoted in an error: fastify logs no bodies, and secret-body.ts's refusals say only the rule.
import type { FastifyError, FastifyPluginAsync } from 'fastify'
import { configSchema, configValueSchema, secretSchema, type ApiConfigValue, type ApiSecret } from '../../schemas/index.js'
import { principal, requireUser } from '../auth/authenticate.js'
import { sealingKey, type ClusterKeyHold } from '../cluster-key.js'
import type { BuilderContext } from '../context.js'
import { errorReply } from '../error-handler.js'
import { ConflictError, NotFoundError } from '../errors.js'
import { bodyLimit, tooLarge, valueOf, type ValueKind } from '../secret-body.js'
import { deleteValue, getConfig, listValues, putConfig, putSecret, usersOf } from '../store/secrets.js'
import { appParams, described, manifestParams, withErrors } from './shapes.js'

type Params = { app: string; name: string }
const PLURAL: Record<ValueKind, string> = { secret: 'secrets', config: 'configs' }

export const secretRoutes: FastifyPluginAsync<{ ctx: BuilderContext; clusterKey: ClusterKeyHold; clock?: () => number }> = async (app, { ctx, clusterKey, clock = Date.now }) => {
  app.addHook('onRequest', requireUser(ctx))
  const now = () => new Date(clock()).toISOString()

  // Every body of these routes as bytes: the value as sent (secret-body.ts reads JSON's {"value"}).
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body))
  // A body past the route's limit is refused before it is read, with the value's limit named.
  const respond = errorReply(ctx.kv)
  app.setErrorHandler(async (err: FastifyError, request, reply) => {
    const kind = (request.routeOptions.config as { valueKind?: ValueKind }).valueKind
    return respond(err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' && kind ? tooLarge(kind) : err, request, reply)
  })

  for (const kind of ['secret', 'config'] as const) {
    const plural = PLURAL[kind]
    const schema = kind === 'secret' ? secretSchema : configSchema

    app.get(`/api/v1/apps/:app/${plural}`, {
      schema: { summary: `The app's ${plural}: names, versions and dates${kind === 'secret' ? ' (never a value)' : ''}`, params: appParams, response: withErrors({ 200: { type: 'array', items: schema } }) },
    }, async (request): Promise<ApiSecret[]> => {
      const { app: name } = request.params as { app: string }
      await ctx.apps.assertVisible(name, principal(request))
      return listValues(ctx.kv, ctx.keys, kind, name)
    })

    app.put(`/api/v1/apps/:app/${plural}/:name`, {
      bodyLimit: bodyLimit(kind),
      config: { valueKind: kind },
      schema: {
        summary: kind === 'secret'
          ? 'Create or replace a secret: the body is the value (any content type; or JSON {"value": "..."}), sealed under the cluster key; each write is the next version. The reply never holds the value'
          : 'Create or replace a config: the body is its text (any content type; or JSON {"value": "..."}); each write is the next version',
        params: manifestParams,
        response: withErrors({
          200: schema, 201: schema,
          413: described(`DKA_BUILDER_BAD_REQUEST: the value is larger than ${kind === 'secret' ? 'MAX_SECRET_BYTES (16 KiB)' : 'MAX_CONFIG_BYTES (32 KiB)'}`),
          ...(kind === 'secret' ? { 503: described('DKA_BUILDER_SECRETS_UNAVAILABLE: the builder has no usable cluster key (--cluster-key-file); the message names the file and the fix') } : {}),
        }),
      },
    }, async (request, reply): Promise<ApiSecret> => {
      const { app: appName, name } = request.params as Params
      const who = principal(request)
      // Before anything is claimed or read: a builder without the key refuses, whoever asks.
      const key = kind === 'secret' ? sealingKey(clusterKey) : undefined
      const value = valueOf(kind, request.body, request.headers['content-type'])
      await ctx.apps.claimForWrite(appName, who)
      const written = key
        ? await putSecret(ctx.kv, ctx.keys, key, now, appName, name, value)
        : await putConfig(ctx.kv, ctx.keys, now, appName, name, value.toString('utf8'))
      request.log.info({ app: appName, [kind]: name, version: written.version }, `${kind} written`)
      reply.code(written.version === 1 ? 201 : 200)
      return written
    })

    app.delete(`/api/v1/apps/:app/${plural}/:name`, {
      schema: {
        summary: `Delete a ${kind}; refused (409) while a manifest of the app names it`,
        params: manifestParams,
        response: withErrors({ 204: { type: 'null' }, 409: described(`DKA_BUILDER_CONFLICT: a manifest of the app still names the ${kind}`) }),
      },
    }, async (request, reply) => {
      const { app: appName, name } = request.params as Params
      await ctx.apps.assertVisible(appName, principal(request))
      const users = await usersOf(ctx.kv, ctx.keys, kind, appName, name)
      if (users.length > 0) {
        throw new ConflictError(`${kind} ${appName}/${name} is named by manifest${users.length > 1 ? 's' : ''} ${users.map(u => `${appName}/${u}`).join(', ')}: remove it from ${users.length > 1 ? 'them' : 'it'} (or delete ${users.length > 1 ? 'them' : 'it'}) first`)
      }
      if (!await deleteValue(ctx.kv, ctx.keys, kind, appName, name)) throw new NotFoundError(`no ${kind} ${appName}/${name}`)
      await ctx.apps.releaseIfUnused(appName)
      request.log.info({ app: appName, [kind]: name }, `${kind} deleted`)
      reply.code(204)
    })
  }

  app.get('/api/v1/apps/:app/configs/:name', {
    schema: { summary: 'A config with its text (configs are not secret)', params: manifestParams, response: withErrors({ 200: configValueSchema }) },
  }, async (request): Promise<ApiConfigValue> => {
    const { app: appName, name } = request.params as Params
    await ctx.apps.assertVisible(appName, principal(request))
    const found = await getConfig(ctx.kv, ctx.keys, appName, name)
    if (!found) throw new NotFoundError(`no config ${appName}/${name}`)
    return found
  })
}
