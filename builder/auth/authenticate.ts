// Who is asking: a bearer token, HTTP basic auth (user:password or user:token, for old
// scripts and curl -u), or the console's session cookie. Resolved once per request.
// Every password check — here for basic auth, and for POST /login — goes through the one
// password limiter: a wrong password is a 401, too many of them a 429 with Retry-After.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { RateLimitedError, UnauthorizedError } from '../errors.js'
import type { Accounts, Principal } from '../store/accounts.js'
import type { PasswordLimiter } from './password-limiter.js'
import { tokenId } from './secrets.js'

export const SESSION_COOKIE = 'dokkaa_session'

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal
  }
}

/** What authentication needs from the builder's context. */
export interface Authenticator {
  accounts: Accounts
  passwords: PasswordLimiter
}

/**
 * Checks a user's password under the limiter: the principal, or UnauthorizedError (wrong
 * user or password), or RateLimitedError (too many wrong ones for the user or the address).
 */
export async function checkPassword(auth: Authenticator, user: string, password: string, address: string): Promise<Principal> {
  const verdict = auth.passwords.begin(user, address)
  if (!verdict.ok) {
    const seconds = Math.ceil(verdict.retryAfterMs / 1000)
    const who = verdict.by === 'user' ? `for user ${JSON.stringify(user.slice(0, 64))}` : `from ${address}`
    throw new RateLimitedError(`too many wrong passwords ${who}; retry in ${seconds} s (API tokens keep working)`, seconds)
  }
  let p: Principal | undefined
  let answered = false
  try {
    p = await auth.accounts.checkPassword(user, password)
    answered = true
  } finally {
    // A check that failed for another reason (etcd unreachable) is no wrong password.
    verdict.done(!answered || p !== undefined)
  }
  if (!p) throw new UnauthorizedError('wrong user name or password')
  return p
}

/**
 * The principal behind the request's credentials; undefined when it carries none, or a
 * token (bearer, basic user:token, cookie) that is unknown, revoked or expired. A basic
 * user:password is a password check: wrong is UnauthorizedError, limited RateLimitedError.
 */
export async function resolvePrincipal(auth: Authenticator, request: FastifyRequest): Promise<Principal | undefined> {
  const header = request.headers.authorization
  if (header) {
    const [scheme, value = ''] = header.split(' ', 2)
    if (scheme?.toLowerCase() === 'bearer') return auth.accounts.checkToken(value.trim())
    if (scheme?.toLowerCase() === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8')
      const colon = decoded.indexOf(':')
      if (colon < 0) return undefined
      const user = decoded.slice(0, colon)
      const secret = decoded.slice(colon + 1)
      if (tokenId(secret)) {
        const p = await auth.accounts.checkToken(secret)
        return p && p.user === user ? p : undefined
      }
      return checkPassword(auth, user, secret, request.ip)
    }
    return undefined
  }
  const cookie = request.cookies?.[SESSION_COOKIE]
  return cookie ? auth.accounts.checkToken(cookie) : undefined
}

/** An onRequest hook for route groups that need a user. */
export function requireUser(auth: Authenticator) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const p = await resolvePrincipal(auth, request)
    if (!p) throw new UnauthorizedError()
    request.principal = p
  }
}

export function principal(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthorizedError()
  return request.principal
}
