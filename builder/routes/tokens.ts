// API tokens of the calling user: the plaintext is in the create reply only; etcd keeps a hash.
import type { FastifyPluginAsync } from 'fastify'
import { tokenRequestSchema, tokenSchema as token, type ApiToken, type ApiTokenRequest } from '../../schemas/index.js'
import { principal, requireUser } from '../auth/authenticate.js'
import type { BuilderContext } from '../context.js'
import { commonErrors, errorReply } from './shapes.js'

const errors = { 400: errorReply, 404: errorReply, ...commonErrors }

export const tokenRoutes: FastifyPluginAsync<{ ctx: BuilderContext }> = async (app, { ctx }) => {
  app.addHook('onRequest', requireUser(ctx))

  app.get('/api/v1/tokens', {
    schema: { summary: 'List your API tokens (never their secrets)', response: { 200: { type: 'array', items: token }, ...errors } },
  }, async (request): Promise<ApiToken[]> => ctx.accounts.listTokens(principal(request).user))

  app.post('/api/v1/tokens', {
    schema: {
      summary: 'Create an API token; the reply holds its plaintext, shown this once',
      body: tokenRequestSchema,
      response: { 201: token, ...errors },
    },
  }, async (request, reply): Promise<ApiToken & { token: string }> => {
    const { name } = request.body as ApiTokenRequest
    const { plaintext, record } = await ctx.accounts.issueToken(principal(request).user, name, 'api')
    reply.code(201)
    return { ...record, token: plaintext }
  })

  app.delete('/api/v1/tokens/:id', {
    schema: {
      summary: 'Revoke a token',
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9a-f]{12}$' } } },
      response: { 204: { type: 'null' }, ...errors },
    },
  }, async (request, reply) => {
    await ctx.accounts.revokeToken((request.params as { id: string }).id, principal(request))
    reply.code(204)
  })
}
