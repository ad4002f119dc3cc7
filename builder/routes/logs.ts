// Logs of an instance, from whichever host runs it: the builder finds the host in
// /instances, the host's agent API in /hosts, and streams the agent's reply through.
// No Docker socket is ever reachable over the network.
import { Readable } from 'node:stream'
import type { FastifyPluginAsync } from 'fastify'
import {
  AGENT_ERRORS, agentLogsUrl, LOGS_CACHE_CONTROL, LOGS_CONTENT_TYPE, logsQuerystring, readLogsQuery,
  type AppRef, type LogsQueryWire,
} from '../../schemas/index.js'
import { principal, requireUser } from '../auth/authenticate.js'
import type { BuilderContext } from '../context.js'
import { AgentUnavailableError, NotFoundError } from '../errors.js'
import { agentRefusal } from '../agent-client.js'
import { getHost } from '../store/hosts.js'
import { instanceParams, withErrors } from './shapes.js'

export const logRoutes: FastifyPluginAsync<{ ctx: BuilderContext }> = async (app, { ctx }) => {
  app.addHook('onRequest', requireUser(ctx))
  app.get('/api/v1/apps/:app/:name/instances/:index/logs', {
    schema: {
      summary: 'Container output (stdout and stderr) as text; follow=1 keeps the stream open',
      params: instanceParams,
      querystring: logsQuerystring,
      response: withErrors({ 200: { type: 'string' }, 502: {} }),
    },
  }, async (request, reply) => {
    const { index, ...ref } = request.params as AppRef & { index: number }
    const logs = readLogsQuery(request.query as LogsQueryWire)
    const inst = (await ctx.apps.instances(ref, principal(request))).find(i => i.index === index)
    if (!inst) throw new NotFoundError(`no instance ${ref.app}/${ref.name}/${index} is running anywhere`)
    const host = await getHost(ctx.kv, ctx.keys, inst.host)
    if (!host?.agentUrl) throw new AgentUnavailableError(`host ${inst.host} serves no logs (no agent API)`)
    const abort = new AbortController()
    reply.raw.on('close', () => abort.abort())
    const res = await ctx.agents.call({ id: inst.host, agentUrl: host.agentUrl }, agentLogsUrl(host.agentUrl, inst.containerName, logs), { signal: abort.signal })
    if (res.status === AGENT_ERRORS.notFound.statusCode) throw new NotFoundError(`container ${inst.containerName} is not on host ${inst.host}`)
    if (!res.ok || !res.body) throw await agentRefusal(inst.host, res)
    reply.type(LOGS_CONTENT_TYPE).header('cache-control', LOGS_CACHE_CONTROL).header('x-accel-buffering', 'no')
    return reply.send(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>))
  })
}
