// Volumes kept by instances (issue 11): list an app's, remove one instance's. Removal
// happens on the volumes' home host, through its conductor's agent API; the home record
// goes only after the host said the data is gone (or, for a host that is down, when the
// caller says to forget it — the data then stays on that host's disk).
import type { FastifyPluginAsync } from 'fastify'
import {
  AGENT_ERRORS, agentVolumesUrl, volumeSchema, type ApiVolume, type InstanceRef,
} from '../../schemas/index.js'
import { principal, requireUser } from '../auth/authenticate.js'
import type { BuilderContext } from '../context.js'
import { AgentUnavailableError, ConflictError, NotFoundError } from '../errors.js'
import { agentRefusal } from '../agent-client.js'
import { getHost } from '../store/hosts.js'
import { getVolume, listVolumes } from '../store/volumes.js'
import { appParams, described, instanceParams, withErrors } from './shapes.js'

const forgetQuery = {
  type: 'object', additionalProperties: false,
  properties: { forget: { type: 'boolean', default: false } },
} as const

export const volumeRoutes: FastifyPluginAsync<{ ctx: BuilderContext }> = async (app, { ctx }) => {
  app.addHook('onRequest', requireUser(ctx))

  app.get('/api/v1/apps/:app/volumes', {
    schema: { summary: 'The named volumes of an app\'s instances: home host, whether it is up, whether the instance uses them', params: appParams, response: withErrors({ 200: { type: 'array', items: volumeSchema } }) },
  }, async (request): Promise<ApiVolume[]> => {
    const { app: name } = request.params as { app: string }
    await ctx.apps.assertVisible(name, principal(request))
    return listVolumes(ctx.kv, ctx.keys, name)
  })

  app.delete('/api/v1/apps/:app/:name/volumes/:index', {
    schema: {
      summary: 'Remove the named volumes of an instance that no longer runs (its data is deleted on its home host). 409 while the instance is assigned, or its host is down (forget=true then drops the record and leaves the data on that host)',
      params: instanceParams, querystring: forgetQuery, response: withErrors({
        204: { type: 'null' },
        409: described('DKA_BUILDER_CONFLICT: the instance still uses its volumes, its host is down (forget=true), or it was placed again meanwhile'),
        502: described('DKA_BUILDER_AGENT_UNAVAILABLE: the home host\'s conductor did not carry out the removal'),
      }),
    },
  }, async (request, reply) => {
    const ref = request.params as InstanceRef
    const { forget } = request.query as { forget: boolean }
    await ctx.apps.assertVisible(ref.app, principal(request))
    const found = await getVolume(ctx.kv, ctx.keys, ref)
    const what = `${ref.app}/${ref.name}/${ref.index}`
    if (!found) throw new NotFoundError(`instance ${what} has no volumes`)
    const { view, value } = found
    if (view.inUse) throw new ConflictError(`instance ${what} still uses its volumes: scale ${ref.app}/${ref.name} below ${ref.index + 1} or delete it first`)
    if (!view.hostUp && !forget) {
      throw new ConflictError(`host ${view.host}, where the volumes of ${what} live, is down: they can only be removed there; forget=true drops the record and leaves the data on ${view.host}`)
    }
    if (view.hostUp) await removeOnHost(ctx, ref, view.host)
    // Only the record we looked at: a scheduler that placed the instance meanwhile wins.
    if (await ctx.kv.deleteIf(ctx.keys.volumeHome(ref), value) === 'changed') throw new ConflictError(`instance ${what} was placed again meanwhile; its volumes stay`)
    await ctx.apps.releaseIfUnused(ref.app)
    request.log.info({ instance: what, host: view.host, forgot: !view.hostUp }, view.hostUp ? 'volumes removed' : 'volume record forgotten; the data stays on its host')
    reply.code(204)
  })
}

async function removeOnHost(ctx: BuilderContext, ref: InstanceRef, hostId: string): Promise<void> {
  const host = await getHost(ctx.kv, ctx.keys, hostId)
  if (!host?.agentUrl) throw new AgentUnavailableError(`host ${hostId} has no agent API to remove volumes with`)
  const res = await ctx.agents.call({ id: hostId, agentUrl: host.agentUrl }, agentVolumesUrl(host.agentUrl, ref), { method: 'DELETE', signal: AbortSignal.timeout(30_000) })
  if (res.status === AGENT_ERRORS.volumeInUse.statusCode) throw new ConflictError(`a container on host ${hostId} still uses a volume of ${ref.app}/${ref.name}/${ref.index}; it is being stopped — try again shortly`)
  if (!res.ok) throw await agentRefusal(hostId, res)
}
