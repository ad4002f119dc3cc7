// The etcd v2 keys API on the paths Dokkaa's users write: PUT/GET/DELETE
// /v2/keys/apps/<app>/<name>/manifest, and GET on the /apps directories. Same reply and
// error shapes as etcd v2 (the error handler speaks v2 under /v2/keys), with the builder's
// names, validation, limits, quotas, ownership and credentials (bearer token, or basic
// auth user:password|token). Writes go through the same Apps.put as the REST API.
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { requireUser, principal } from '../auth/authenticate.js'
import type { BuilderContext } from '../context.js'
import { BadRequestError, ForbiddenError, InvalidNameError, NotFoundError } from '../errors.js'
import { dirNode, fileNode, manifestKey, parseV2Path, type V2Path } from '../v2-shape.js'
import { NAME_RULE } from '../../schemas/index.js'

const params = { type: 'object', required: ['*'], properties: { '*': { type: 'string', maxLength: 2048 } } } as const
const query = {
  type: 'object',
  properties: { value: { type: 'string' }, recursive: { type: 'boolean', default: false }, sorted: { type: 'boolean' }, quorum: { type: 'boolean' } },
} as const
const v2Reply = { type: 'object', additionalProperties: true } as const
const v2Error = (description: string) => ({ ...v2Reply, description: `etcd v2 error {errorCode, message, cause, index}: ${description}` })
const responses = {
  200: v2Reply, 201: v2Reply,
  400: v2Error(`209 Invalid field: an app or name breaking the naming rule (${NAME_RULE}), or an invalid manifest (an extra "errors" lists every {path, message}); 210 Invalid POST form: no value`),
  401: v2Error('110: authentication required, or a wrong password'),
  403: v2Error('107 Root is read only: a key other than a manifest; 209: the write would pass a quota of /config/policy (an extra "errors" names each quota)'),
  404: v2Error('100 Key not found: missing, or someone else\'s'),
  413: v2Error('210: the body is larger than the builder accepts'),
  429: { ...v2Error('300: too many wrong passwords for the user or from the address; retry after Retry-After seconds'), headers: { 'retry-after': { type: 'integer' } } },
}

/** A path whose app or name breaks the rule is refused before anything else looks at it. */
function valid(target: V2Path): Exclude<V2Path, { kind: 'invalid' }> {
  if (target.kind === 'invalid') throw new InvalidNameError(target.errors)
  return target
}

export const v2KeyRoutes: FastifyPluginAsync<{ ctx: BuilderContext }> = async (app, { ctx }) => {
  // curl -d sends application/x-www-form-urlencoded, as etcd v2 expects.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)))
  })
  app.addHook('onRequest', requireUser(ctx))
  // A PUT with only ?value= has no body at all, as etcd v2 allows: validate it as an empty form.
  app.addHook('preValidation', async request => {
    if (request.body === undefined || request.body === null) request.body = {}
  })

  async function indexed(reply: FastifyReply, revision?: number): Promise<void> {
    reply.header('x-etcd-index', String(revision ?? await ctx.kv.revision()))
  }

  app.get('/v2/keys/*', {
    schema: { summary: 'etcd v2: read a manifest, or list /apps directories (recursive=true)', params, querystring: query, response: responses },
  }, async (request, reply) => {
    const path = `/${(request.params as { '*': string })['*']}`
    const { recursive } = request.query as { recursive: boolean }
    const who = principal(request)
    const target = valid(parseV2Path(path))
    await indexed(reply)
    if (target.kind === 'manifest') {
      const view = await ctx.apps.get(target.ref, who)
      return { action: 'get', node: fileNode(manifestKey(target.ref), { value: view.raw, modRevision: view.revision, createRevision: view.createdRevision }) }
    }
    if (target.kind === 'other') throw new NotFoundError(path)
    if (target.kind !== 'root') await ctx.apps.assertVisible(target.kind === 'app' ? target.app : target.ref.app, who)
    const node = dirNode(target, await ctx.apps.list(who), recursive)
    if (!node) throw new NotFoundError(path)
    return { action: 'get', node }
  })

  app.put('/v2/keys/*', {
    schema: {
      summary: 'etcd v2: write a manifest (form field, JSON {"value"} or query value=<manifest JSON>, the body may be empty); refused with every error when invalid, past a limit or a quota',
      params, querystring: query,
      body: { type: 'object', description: 'value=<manifest JSON> as a form, or {"value": "<manifest JSON>"}; may be absent when the query has value', properties: { value: { type: 'string' } } },
      response: responses,
    },
  }, async (request, reply) => {
    const path = `/${(request.params as { '*': string })['*']}`
    const target = valid(parseV2Path(path))
    if (target.kind !== 'manifest') throw new ForbiddenError(`only /apps/<app>/<name>/manifest can be written through the builder, not ${path}`)
    const value = (request.body as { value?: string }).value ?? (request.query as { value?: string }).value
    if (value === undefined) throw new BadRequestError('Value is Required in POST form')
    const { entry, prev } = await ctx.apps.put(target.ref, value, principal(request))
    await indexed(reply, entry.modRevision)
    reply.code(prev ? 200 : 201)
    const key = manifestKey(target.ref)
    return { action: 'set', node: fileNode(key, entry), ...(prev ? { prevNode: fileNode(key, prev) } : {}) }
  })

  app.delete('/v2/keys/*', {
    schema: { summary: 'etcd v2: delete a manifest', params, querystring: query, response: responses },
  }, async (request, reply) => {
    const path = `/${(request.params as { '*': string })['*']}`
    const target = valid(parseV2Path(path))
    if (target.kind !== 'manifest') throw new ForbiddenError(`only /apps/<app>/<name>/manifest can be deleted through the builder, not ${path}`)
    const { revision, prev } = await ctx.apps.delete(target.ref, principal(request))
    await indexed(reply, revision)
    const key = manifestKey(target.ref)
    return {
      action: 'delete',
      node: { key, modifiedIndex: revision, createdIndex: prev.createRevision },
      prevNode: fileNode(key, prev),
    }
  })
}
