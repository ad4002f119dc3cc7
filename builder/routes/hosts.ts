// Hosts: capacity from each conductor's record, load = instances assigned to it.
import type { FastifyPluginAsync } from 'fastify'
import { requireUser } from '../auth/authenticate.js'
import type { BuilderContext } from '../context.js'
import { listHosts } from '../store/hosts.js'
import { commonErrors } from './shapes.js'

const host = {
  type: 'object',
  properties: {
    id: { type: 'string' }, address: { type: 'string' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    cpus: { type: 'number' }, memory: { type: 'number' }, engineVersion: { type: 'string' },
    ambassadorAddress: { type: 'string' }, startedAt: { type: 'string' }, load: { type: 'integer' },
  },
} as const

export const hostRoutes: FastifyPluginAsync<{ ctx: BuilderContext }> = async (app, { ctx }) => {
  app.addHook('onRequest', requireUser(ctx))
  app.get('/api/v1/hosts', {
    schema: { summary: 'Live hosts with capacity (cpus, memory) and load (assigned instances)', response: { 200: { type: 'array', items: host }, ...commonErrors } },
  }, async () => listHosts(ctx.kv, ctx.keys))
}
