// App and manifest names in paths, checked by the contract's one rule (schemas/names.ts)
// before the route's schema sees them: the reply then states the rule and the fix
// (400 DKA_BUILDER_INVALID_NAME) instead of a regular expression, and no route — present or future —
// can build an etcd key from "..", "Shop" or "a--b". Installed once, for every route
// with :app or :name; it runs after authentication, so a stranger learns nothing.
import type { FastifyRequest } from 'fastify'
import { nameProblem, type ManifestError } from '../../schemas/index.js'
import { InvalidNameError } from '../errors.js'

export async function refuseBadNames(request: FastifyRequest): Promise<void> {
  const params = request.params as Record<string, unknown> | undefined
  if (!params || typeof params !== 'object') return
  const problems: ManifestError[] = []
  for (const field of ['app', 'name'] as const) {
    if (!(field in params)) continue
    const p = nameProblem(field, params[field])
    if (p) problems.push(p)
  }
  if (problems.length > 0) throw new InvalidNameError(problems)
}
