// The web router's certificates (issue 12), admin only: what the builder's ACME loop last
// found (/tls/status: whether /config/acme is usable; per name the certificate served or
// the last failed order), and a renewal on demand — a request at /tls/renew/<hostname>
// that the loop answers with a new order (retried at once even after failures), deleting
// the request when the new certificate is stored.
import type { FastifyPluginAsync } from 'fastify'
import { isTlsHostname } from '../../schemas/index.js'
import { principal, requireUser } from '../auth/authenticate.js'
import type { BuilderContext } from '../context.js'
import { BadRequestError, ForbiddenError, NotFoundError } from '../errors.js'
import { described, withErrors } from './shapes.js'

const hostnameParams = {
  type: 'object', required: ['hostname'], additionalProperties: false,
  properties: { hostname: { type: 'string', description: 'a name the web router serves: <app>.<domain> or <service>.<app>.<domain>' } },
} as const

const forbidden = described('DKA_BUILDER_FORBIDDEN: only an admin manages the web router\'s certificates')

export const tlsRoutes: FastifyPluginAsync<{ ctx: BuilderContext; clock?: () => number }> = async (app, { ctx, clock = Date.now }) => {
  app.addHook('onRequest', requireUser(ctx))
  app.addHook('onRequest', async request => {
    if (!principal(request).admin) throw new ForbiddenError('only an admin manages the web router\'s certificates')
  })

  app.get('/api/v1/tls', {
    schema: { summary: 'The web router\'s certificates (admin): whether /config/acme is usable, and per name the certificate served (serial, expiry) or the last failed ACME order', response: { ...withErrors({ 200: { type: 'object', additionalProperties: true } }), 403: forbidden } },
  }, async () => {
    const e = await ctx.kv.get(ctx.keys.tlsStatus)
    if (!e) return { config: { ok: false, problem: `no status yet: ${ctx.keys.acmeConfig} is not set, or no web service has "tls": "auto"` }, names: {} }
    // Written by the builder, but etcd is also written by hand: junk is reported, never a 500.
    const status = readStatus(e.value)
    return status ?? { config: { ok: false, problem: `${ctx.keys.tlsStatus} is not the builder's JSON; it is written again at the builder's next certificate pass` }, names: {} }
  })

  app.post('/api/v1/tls/:hostname/renew', {
    schema: {
      summary: 'Renew a name\'s certificate now (admin): the builder orders a new one over ACME; the ambassadors serve it from their next handshake',
      params: hostnameParams,
      response: {
        ...withErrors({ 202: { type: 'object', required: ['hostname', 'requestedAt'], properties: { hostname: { type: 'string' }, requestedAt: { type: 'string' } } } }),
        400: described('DKA_BUILDER_BAD_REQUEST: not a host name'),
        403: forbidden,
        404: described('DKA_BUILDER_NOT_FOUND: no web service with "tls": "auto" is served at the name'),
      },
    },
  }, async (request, reply) => {
    const { hostname } = request.params as { hostname: string }
    const name = hostname.toLowerCase()
    if (!isTlsHostname(name)) throw new BadRequestError(`"${hostname.slice(0, 100)}" is not a host name like shop.dokkaa.local`)
    const status = await ctx.kv.get(ctx.keys.tlsStatus)
    const known = (await ctx.kv.get(ctx.keys.tlsCert(name))) !== undefined || (status !== undefined && Object.hasOwn(readStatus(status.value)?.['names'] ?? {}, name))
    if (!known) throw new NotFoundError(`no certificate is ordered for ${name}: no web service with "tls": "auto" is served at it (see GET /api/v1/tls)`)
    const requestedAt = new Date(clock()).toISOString()
    await ctx.kv.put(ctx.keys.tlsRenew(name), JSON.stringify({ requestedAt, by: principal(request).user }))
    request.log.info({ hostname: name }, 'certificate renewal requested')
    reply.code(202)
    return { hostname: name, requestedAt }
  })
}

/** The status object as the builder writes it, or undefined for anything else. */
function readStatus(text: string): Record<string, Record<string, unknown> | undefined> | undefined {
  try {
    const v = JSON.parse(text) as unknown
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, Record<string, unknown> | undefined> : undefined
  } catch {
    return undefined
  }
}
