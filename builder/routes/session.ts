// Logging in and out of the console: a session token in an HttpOnly, SameSite=Strict cookie.
// Login is rate limited per client address, so passwords cannot be guessed at speed.
import type { FastifyPluginAsync } from 'fastify'
import { principal, requireUser, resolvePrincipal, SESSION_COOKIE } from '../auth/authenticate.js'
import type { BuilderContext } from '../context.js'
import { UnauthorizedError } from '../errors.js'
import { SESSION_TTL_MS } from '../store/accounts.js'
import { errorReply } from './shapes.js'

export interface SessionOptions {
  ctx: BuilderContext
  secureCookies: boolean
  loginRateLimit: { max: number; timeWindow: number }
}

const me = {
  type: 'object',
  properties: { user: { type: 'string' }, admin: { type: 'boolean' } },
} as const

export const sessionRoutes: FastifyPluginAsync<SessionOptions> = async (app, { ctx, secureCookies, loginRateLimit }) => {
  app.post('/api/v1/login', {
    config: { rateLimit: loginRateLimit },
    schema: {
      summary: 'Log in with a user name and password; sets the session cookie',
      body: {
        type: 'object', required: ['user', 'password'], additionalProperties: false,
        properties: { user: { type: 'string', minLength: 1, maxLength: 64 }, password: { type: 'string', minLength: 1, maxLength: 1024 } },
      },
      response: { 200: me, 401: errorReply, 429: errorReply },
    },
  }, async (request, reply) => {
    const { user, password } = request.body as { user: string; password: string }
    const p = await ctx.accounts.checkPassword(user, password)
    if (!p) throw new UnauthorizedError('wrong user name or password')
    const { plaintext } = await ctx.accounts.issueToken(p.user, 'session', 'session')
    reply.setCookie(SESSION_COOKIE, plaintext, {
      path: '/', httpOnly: true, sameSite: 'strict', secure: secureCookies, maxAge: SESSION_TTL_MS / 1000,
    })
    return p
  })

  // The console asks this on load: 200 either way, so a logged-out page logs no HTTP error.
  app.get('/api/v1/session', {
    schema: {
      summary: 'The current session, if any (never 401)',
      response: { 200: { type: 'object', properties: { authenticated: { type: 'boolean' }, user: { type: 'string' }, admin: { type: 'boolean' } } } },
    },
  }, async request => {
    const p = await resolvePrincipal(ctx.accounts, request)
    return p ? { authenticated: true, user: p.user, admin: p.admin } : { authenticated: false }
  })

  app.register(async scoped => {
    scoped.addHook('onRequest', requireUser(ctx.accounts))
    scoped.post('/api/v1/logout', {
      schema: { summary: 'End this session', response: { 204: { type: 'null' }, 401: errorReply } },
    }, async (request, reply) => {
      const p = principal(request)
      if (p.tokenId && request.cookies[SESSION_COOKIE]) await ctx.accounts.revokeToken(p.tokenId, p)
      reply.clearCookie(SESSION_COOKIE, { path: '/' })
      reply.code(204)
    })
    scoped.get('/api/v1/me', {
      schema: { summary: 'Who the credentials belong to', response: { 200: me, 401: errorReply } },
    }, async request => principal(request))
  })
}
