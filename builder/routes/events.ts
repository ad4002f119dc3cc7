// Live updates for the console: server-sent events fed by the hub's etcd watch.
// Each event names what changed (and carries the new record), so the page patches itself.
import type { FastifyPluginAsync } from 'fastify'
import { principal, requireUser } from '../auth/authenticate.js'
import type { BuilderContext } from '../context.js'
import { commonErrors } from './shapes.js'

export const eventRoutes: FastifyPluginAsync<{ ctx: BuilderContext }> = async (app, { ctx }) => {
  app.addHook('onRequest', requireUser(ctx))
  app.get('/api/v1/events', {
    schema: {
      summary: 'text/event-stream of `change` events: {kind: manifest|status|control|instance|hosts, type, app, name, index, value}',
      response: { 200: { type: 'string' }, ...commonErrors },
    },
  }, async (request, reply) => {
    const who = principal(request)
    reply.hijack()
    const res = reply.raw
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    })
    res.write('retry: 2000\n\n')
    const unsubscribe = await ctx.hub.subscribe(who, e => {
      res.write(`event: change\ndata: ${JSON.stringify(e)}\n\n`)
    })
    res.write('event: ready\ndata: {}\n\n')
    // A comment now and then keeps proxies from closing an idle stream.
    const beat = setInterval(() => res.write(': keep-alive\n\n'), 15_000)
    const done = () => { clearInterval(beat); unsubscribe() }
    // The response's close is the client going away (the request's fires once it is read).
    res.on('close', done)
  })
}
