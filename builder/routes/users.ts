// Users (admin only): Docklet's model, where root creates the accounts.
import type { FastifyPluginAsync } from 'fastify'
import { userSchema as user, type ApiUser } from '../../schemas/index.js'
import { principal, requireUser } from '../auth/authenticate.js'
import { generatePassword } from '../auth/secrets.js'
import type { BuilderContext } from '../context.js'
import { ForbiddenError, BadRequestError } from '../errors.js'
import { commonErrors, errorReply, name } from './shapes.js'

const errors = { 400: errorReply, 403: errorReply, 404: errorReply, 409: errorReply, ...commonErrors }

export const userRoutes: FastifyPluginAsync<{ ctx: BuilderContext }> = async (app, { ctx }) => {
  app.addHook('onRequest', requireUser(ctx))
  app.addHook('preHandler', async request => {
    if (!principal(request).admin) throw new ForbiddenError('only an admin manages users')
  })

  app.get('/api/v1/users', {
    schema: { summary: 'List users (admin)', response: { 200: { type: 'array', items: user }, ...errors } },
  }, async (): Promise<ApiUser[]> => (await ctx.accounts.listUsers()).map(({ passwordHash: _, ...u }) => u))

  app.post('/api/v1/users', {
    schema: {
      summary: 'Create a user (admin); without a password one is generated and shown once',
      body: {
        type: 'object', required: ['name'], additionalProperties: false,
        properties: { name, password: { type: 'string', minLength: 8, maxLength: 1024 }, admin: { type: 'boolean', default: false } },
      },
      response: { 201: user, ...errors },
    },
  }, async (request, reply): Promise<ApiUser> => {
    const body = request.body as { name: string; password?: string; admin: boolean }
    const password = body.password ?? generatePassword()
    const rec = await ctx.accounts.createUser(body.name, password, body.admin)
    reply.code(201)
    return { name: rec.name, admin: rec.admin, createdAt: rec.createdAt, ...(body.password ? {} : { password }) }
  })

  app.delete('/api/v1/users/:name', {
    schema: {
      summary: 'Delete a user and their tokens (admin); their apps stay, visible to root',
      params: { type: 'object', required: ['name'], properties: { name } },
      response: { 204: { type: 'null' }, ...errors },
    },
  }, async (request, reply) => {
    const { name: target } = request.params as { name: string }
    if (target === principal(request).user) throw new BadRequestError('you cannot delete yourself')
    await ctx.accounts.deleteUser(target)
    reply.code(204)
  })
}
