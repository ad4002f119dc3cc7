// xCAT's lifecycle verbs (start, stop, restart, pause, unpause, state) on a whole manifest
// or one instance. They write the control record; the scheduler and the owning conductor
// carry them out, wherever the instance runs. `state` shows desired against actual.
import type { FastifyPluginAsync } from 'fastify'
import {
  instanceSchema, stateReplySchema as verbReply, type ApiInstance, type ApiStateReply, type AppRef,
} from '../../schemas/index.js'
import { principal, requireUser } from '../auth/authenticate.js'
import type { BuilderContext } from '../context.js'
import { NotFoundError } from '../errors.js'
import { stateReport, type Verb } from '../../schemas/index.js'
import { scaleOf } from '../store/record-shapes.js'
import { instanceParams, manifestParams, verb, withErrors } from './shapes.js'

export const lifecycleRoutes: FastifyPluginAsync<{ ctx: BuilderContext }> = async (app, { ctx }) => {
  app.addHook('onRequest', requireUser(ctx))

  async function report(ref: AppRef, request: Parameters<typeof principal>[0], index?: number): Promise<Omit<ApiStateReply, 'verb'>> {
    const who = principal(request)
    const view = await ctx.apps.get(ref, who)
    // A stored scale is taken at its word only within 0–1000 (one written straight into etcd may say a billion).
    const scale = scaleOf(view.manifest)
    const all = stateReport(scale, view.control, await ctx.apps.instances(ref, who))
    if (index === undefined) return { control: view.control ?? {}, state: all }
    const one = all.filter(s => s.index === index)
    if (one.length === 0) throw new NotFoundError(`no instance ${ref.app}/${ref.name}/${index}`)
    return { control: view.control ?? {}, state: one }
  }

  app.get('/api/v1/apps/:app/:name/instances', {
    schema: { summary: 'Instances as the conductors report them: host, state, health (and the last failed check), address, ports, restarts, start time', params: manifestParams, response: withErrors({ 200: { type: 'array', items: instanceSchema } }) },
  }, async (request): Promise<ApiInstance[]> => ctx.apps.instances(request.params as AppRef, principal(request)))

  app.get('/api/v1/apps/:app/:name/state', {
    schema: { summary: 'Desired and actual state of every instance', params: manifestParams, response: withErrors({ 200: verbReply }) },
  }, async (request): Promise<ApiStateReply> => ({ verb: 'state', ...await report(request.params as AppRef, request) }))

  app.get('/api/v1/apps/:app/:name/instances/:index/state', {
    schema: { summary: 'Desired and actual state of one instance', params: instanceParams, response: withErrors({ 200: verbReply }) },
  }, async (request): Promise<ApiStateReply> => {
    const { index, ...ref } = request.params as AppRef & { index: number }
    return { verb: 'state', ...await report(ref, request, index) }
  })

  app.post('/api/v1/apps/:app/:name/actions/:verb', {
    schema: {
      summary: 'start | stop | restart | pause | unpause every instance of a manifest',
      params: { ...manifestParams, required: [...manifestParams.required, 'verb'], properties: { ...manifestParams.properties, verb } },
      response: withErrors({ 202: verbReply }),
    },
  }, async (request, reply): Promise<ApiStateReply> => {
    const { verb: v, ...ref } = request.params as AppRef & { verb: Verb }
    await ctx.apps.control(ref, principal(request), v)
    reply.code(202)
    return { verb: v, ...await report(ref, request) }
  })

  app.post('/api/v1/apps/:app/:name/instances/:index/actions/:verb', {
    schema: {
      summary: 'start | stop | restart | pause | unpause one instance',
      params: { ...instanceParams, required: [...instanceParams.required, 'verb'], properties: { ...instanceParams.properties, verb } },
      response: withErrors({ 202: verbReply }),
    },
  }, async (request, reply): Promise<ApiStateReply> => {
    const { verb: v, index, ...ref } = request.params as AppRef & { index: number; verb: Verb }
    await report(ref, request, index)
    await ctx.apps.control(ref, principal(request), v, index)
    reply.code(202)
    return { verb: v, ...await report(ref, request, index) }
  })
}
