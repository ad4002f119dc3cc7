// Hosts: capacity from each conductor's record, load = instances assigned to it.
import type { FastifyPluginAsync } from 'fastify'
import { hostSchema, type ApiHost } from '../../schemas/index.js'
import { requireUser } from '../auth/authenticate.js'
import type { BuilderContext } from '../context.js'
import { listHosts } from '../store/hosts.js'
import { commonErrors } from './shapes.js'

export const hostRoutes: FastifyPluginAsync<{ ctx: BuilderContext }> = async (app, { ctx }) => {
  app.addHook('onRequest', requireUser(ctx))
  app.get('/api/v1/hosts', {
    schema: { summary: 'Live hosts with capacity (cpus, memory) and load (assigned instances)', response: { 200: { type: 'array', items: hostSchema }, ...commonErrors } },
  }, async (): Promise<ApiHost[]> => listHosts(ctx.kv, ctx.keys))
}
