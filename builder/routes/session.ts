// Logging in and out of the console: a session token in an HttpOnly, SameSite=Strict cookie.
// The password is checked under the one password limiter (auth/password-limiter.ts), shared
// with basic auth on every route: a wrong password is a 401, too many a 429 with Retry-After.
import type { FastifyPluginAsync } from 'fastify'
import { meSchema as me, sessionSchema, type ApiMe, type ApiSession } from '../../schemas/index.js'
import { checkPassword, principal, requireUser, resolvePrincipal, SESSION_COOKIE } from '../auth/authenticate.js'
import type { BuilderContext } from '../context.js'
import { SESSION_TTL_MS } from '../store/accounts.js'
import { errorReply, rateLimited } from './shapes.js'

export interface SessionOptions {
  ctx: BuilderContext
  secureCookies: boolean
}

export const sessionRoutes: FastifyPluginAsync<SessionOptions> = async (app, { ctx, secureCookies }) => {
  app.post('/api/v1/login', {
    schema: {
      summary: 'Log in with a user name and password; sets the session cookie. Wrong: 401; too many wrong passwords for the user or from the address: 429 with Retry-After',
      body: {
        type: 'object', required: ['user', 'password'], additionalProperties: false,
        properties: { user: { type: 'string', minLength: 1, maxLength: 64 }, password: { type: 'string', minLength: 1, maxLength: 1024 } },
      },
      response: { 200: me, 400: errorReply, 401: errorReply, 429: rateLimited },
    },
  }, async (request, reply): Promise<ApiMe> => {
    const { user, password } = request.body as { user: string; password: string }
    const p = await checkPassword(ctx, user, password, request.ip)
    const { plaintext } = await ctx.accounts.issueToken(p.user, 'session', 'session')
    reply.setCookie(SESSION_COOKIE, plaintext, {
      path: '/', httpOnly: true, sameSite: 'strict', secure: secureCookies, maxAge: SESSION_TTL_MS / 1000,
    })
    return p
  })

  // The console asks this on load: without credentials, or with a stale cookie or token,
  // it is a 200 {authenticated: false}, so a logged-out page logs no HTTP error. A basic
  // user:password is a password check like any other: wrong 401, too many 429.
  app.get('/api/v1/session', {
    schema: {
      summary: 'The current session, if any (no 401 for missing or stale tokens and cookies; a wrong basic password is a 401)',
      response: {
        200: sessionSchema,
        401: errorReply, 429: rateLimited,
      },
    },
  }, async (request): Promise<ApiSession> => {
    const p = await resolvePrincipal(ctx, request)
    return p ? { authenticated: true, user: p.user, admin: p.admin } : { authenticated: false }
  })

  app.register(async scoped => {
    scoped.addHook('onRequest', requireUser(ctx))
    scoped.post('/api/v1/logout', {
      schema: { summary: 'End this session', response: { 204: { type: 'null' }, 401: errorReply, 429: rateLimited } },
    }, async (request, reply) => {
      const p = principal(request)
      if (p.tokenId && request.cookies[SESSION_COOKIE]) await ctx.accounts.revokeToken(p.tokenId, p)
      reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure: secureCookies })
      reply.code(204)
    })
    scoped.get('/api/v1/me', {
      schema: { summary: 'Who the credentials belong to', response: { 200: me, 401: errorReply, 429: rateLimited } },
    }, async (request): Promise<ApiMe> => principal(request))
  })
}
