// Who is asking: a bearer token, HTTP basic auth (user:password or user:token, for old
// scripts and curl -u), or the console's session cookie. Resolved once per request.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { UnauthorizedError } from '../errors.js'
import type { Accounts, Principal } from '../store/accounts.js'
import { tokenId } from './secrets.js'

export const SESSION_COOKIE = 'dokkaa_session'

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal
  }
}

export async function resolvePrincipal(accounts: Accounts, request: FastifyRequest): Promise<Principal | undefined> {
  const header = request.headers.authorization
  if (header) {
    const [scheme, value = ''] = header.split(' ', 2)
    if (scheme?.toLowerCase() === 'bearer') return accounts.checkToken(value.trim())
    if (scheme?.toLowerCase() === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8')
      const colon = decoded.indexOf(':')
      if (colon < 0) return undefined
      const user = decoded.slice(0, colon)
      const secret = decoded.slice(colon + 1)
      if (tokenId(secret)) {
        const p = await accounts.checkToken(secret)
        return p && p.user === user ? p : undefined
      }
      return accounts.checkPassword(user, secret)
    }
    return undefined
  }
  const cookie = request.cookies?.[SESSION_COOKIE]
  return cookie ? accounts.checkToken(cookie) : undefined
}

/** An onRequest hook for route groups that need a user. */
export function requireUser(accounts: Accounts) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const p = await resolvePrincipal(accounts, request)
    if (!p) throw new UnauthorizedError()
    request.principal = p
  }
}

export function principal(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthorizedError()
  return request.principal
}
