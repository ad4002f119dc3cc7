// The etcd v2 keys API on the paths Dokkaa's users write: PUT/GET/DELETE
// /v2/keys/apps/<app>/<name>/manifest, and GET on the /apps directories. Same reply and
// error shapes as etcd v2 (the error handler speaks v2 under /v2/keys), with the builder's
// validation, ownership and credentials (bearer token, or basic auth user:password|token).
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { requireUser, principal } from '../auth/authenticate.js'
import type { BuilderContext } from '../context.js'
import { BadRequestError, ForbiddenError, NotFoundError } from '../errors.js'
import { dirNode, fileNode, manifestKey, parseV2Path } from '../v2-shape.js'

const params = { type: 'object', required: ['*'], properties: { '*': { type: 'string', maxLength: 512 } } } as const
const query = {
  type: 'object',
  properties: { value: { type: 'string' }, recursive: { type: 'boolean', default: false }, sorted: { type: 'boolean' }, quorum: { type: 'boolean' } },
} as const
const v2Reply = { type: 'object', additionalProperties: true } as const
const responses = { 200: v2Reply, 201: v2Reply, 400: v2Reply, 401: v2Reply, 403: v2Reply, 404: v2Reply }

export const v2KeyRoutes: FastifyPluginAsync<{ ctx: BuilderContext }> = async (app, { ctx }) => {
  // curl -d sends application/x-www-form-urlencoded, as etcd v2 expects.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)))
  })
  app.addHook('onRequest', requireUser(ctx.accounts))

  async function indexed(reply: FastifyReply, revision?: number): Promise<void> {
    reply.header('x-etcd-index', String(revision ?? await ctx.kv.revision()))
  }

  app.get('/v2/keys/*', {
    schema: { summary: 'etcd v2: read a manifest, or list /apps directories (recursive=true)', params, querystring: query, response: responses },
  }, async (request, reply) => {
    const path = `/${(request.params as { '*': string })['*']}`
    const { recursive } = request.query as { recursive: boolean }
    const who = principal(request)
    const target = parseV2Path(path)
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
      summary: 'etcd v2: write a manifest (form field or query value=<manifest JSON>); invalid manifests are refused with every error',
      params, querystring: query,
      body: { type: 'object', properties: { value: { type: 'string' } } },
      response: responses,
    },
  }, async (request, reply) => {
    const path = `/${(request.params as { '*': string })['*']}`
    const target = parseV2Path(path)
    if (target.kind !== 'manifest') throw new ForbiddenError(`only /apps/<app>/<name>/manifest can be written through the builder, not ${path}`)
    const value = (request.body as { value?: string } | undefined)?.value ?? (request.query as { value?: string }).value
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
    const target = parseV2Path(path)
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
