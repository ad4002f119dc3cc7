// Apps and their manifests: list, read, write (validated by the contract's schema, nothing
// written when invalid), delete, scale, status; plus a validate endpoint the console's
// editor calls as the user types.
import type { FastifyPluginAsync } from 'fastify'
import {
  appSummarySchema, DEFAULT_LIMITS, manifestViewSchema, MAX_SCALE, scaleRequestSchema, statusSchema, validateReplySchema,
  type ApiAppSummary, type ApiManifestView, type ApiValidateReply, type AppRef,
} from '../../schemas/index.js'
import { principal, requireUser } from '../auth/authenticate.js'
import type { BuilderContext } from '../context.js'
import { NotFoundError } from '../errors.js'
import type { AppSummary } from '../store/apps.js'
import { appParams, manifestParams, withErrors, withWriteErrors } from './shapes.js'

/** A manifest body: a JSON object, or its text (text/plain) so the editor's syntax errors get reported. */
const manifestBody = { anyOf: [{ type: 'object' }, { type: 'string' }] } as const

/** Routes whose JSON body is manifest text: it reaches the handler unparsed. */
const MANIFEST_BODY = { manifestBody: true }

function text(body: unknown): string {
  return typeof body === 'string' ? body : JSON.stringify(body)
}

/** A manifest as stored after a scale change: indented when that stays within the size limit. */
function serialize(doc: Record<string, unknown>): string {
  const pretty = JSON.stringify(doc, null, 2)
  return Buffer.byteLength(pretty) <= DEFAULT_LIMITS.bytes ? pretty : JSON.stringify(doc)
}

export const appRoutes: FastifyPluginAsync<{ ctx: BuilderContext }> = async (app, { ctx }) => {
  app.addHook('onRequest', requireUser(ctx))

  // A manifest's JSON body is validated as the text it is (schemas' parseManifest: size and
  // depth before JSON.parse, under the current policy) and stored as sent — never parsed
  // here first: a 5,000-level document parses, and then every recursive walk of it fails.
  // Other routes' JSON bodies parse as usual.
  const json = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if ((request.routeOptions.config as { manifestBody?: boolean }).manifestBody) done(null, body)
    else void json(request, body as string, done)
  })

  app.get('/api/v1/apps', {
    schema: { summary: 'Your apps (root: all) with their manifests, status and lifecycle intent', response: withErrors({ 200: { type: 'array', items: appSummarySchema } }) },
  }, async (request, reply): Promise<ApiAppSummary[] | string> => {
    const serialize = reply.getSerializationFunction('200') as ((apps: AppSummary[]) => string) | undefined
    if (!serialize) return ctx.apps.list(principal(request))
    // Already JSON, serialized by this route's own response schema: fastify sends it as is.
    reply.type('application/json; charset=utf-8')
    return ctx.apps.listJson(principal(request), serialize)
  })

  app.get('/api/v1/apps/:app', {
    schema: { summary: 'One app', params: appParams, response: withErrors({ 200: appSummarySchema }) },
  }, async (request): Promise<ApiAppSummary> => {
    const { app: name } = request.params as { app: string }
    const found = (await ctx.apps.list(principal(request))).find(a => a.app === name)
    if (!found) throw new NotFoundError(`no app "${name}"`)
    return found
  })

  app.get('/api/v1/apps/:app/:name', {
    schema: { summary: 'A manifest with its status and lifecycle intent', params: manifestParams, response: withErrors({ 200: manifestViewSchema }) },
  }, async (request): Promise<ApiManifestView> => ctx.apps.get(request.params as AppRef, principal(request)))

  app.get('/api/v1/apps/:app/:name/manifest', {
    schema: { summary: 'The manifest document as stored (null when the stored value is not a JSON object within the manifest limits)', params: manifestParams, response: withErrors({ 200: manifestViewSchema.properties.manifest }) },
  }, async (request): Promise<ApiManifestView['manifest']> => (await ctx.apps.get(request.params as AppRef, principal(request))).manifest)

  app.put('/api/v1/apps/:app/:name/manifest', {
    config: MANIFEST_BODY,
    schema: {
      summary: 'Create or replace a manifest, stored as sent. Invalid (schema, limits, policy, a link into another user\'s app): 400 DKA_BUILDER_INVALID_MANIFEST with every error\'s JSON path; past a quota: 403 DKA_BUILDER_QUOTA_EXCEEDED; nothing is written',
      params: manifestParams, body: manifestBody, response: withWriteErrors({ 200: manifestViewSchema, 201: manifestViewSchema }),
    },
  }, async (request, reply): Promise<ApiManifestView> => {
    const ref = request.params as AppRef
    const who = principal(request)
    const { prev } = await ctx.apps.put(ref, text(request.body), who)
    reply.code(prev ? 200 : 201)
    return ctx.apps.get(ref, who)
  })

  app.delete('/api/v1/apps/:app/:name', {
    schema: { summary: 'Delete a manifest; its containers are removed by the conductors', params: manifestParams, response: withErrors({ 204: { type: 'null' } }) },
  }, async (request, reply) => {
    await ctx.apps.delete(request.params as AppRef, principal(request))
    reply.code(204)
  })

  app.get('/api/v1/apps/:app/:name/status', {
    schema: { summary: 'The scheduler\'s status record: phase, counts, errors, problems and the last rolling update (null before it has seen the manifest)', params: manifestParams, response: withErrors({ 200: { anyOf: [statusSchema, { type: 'null' }] } }) },
  }, async (request): Promise<ApiManifestView['status'] | null> => (await ctx.apps.get(request.params as AppRef, principal(request))).status ?? null)

  app.post('/api/v1/apps/:app/:name/scale', {
    schema: {
      summary: 'Set the scale, or change it by a delta',
      params: manifestParams,
      body: scaleRequestSchema,
      response: withWriteErrors({ 200: manifestViewSchema }),
    },
  }, async (request): Promise<ApiManifestView> => {
    const ref = request.params as AppRef
    const who = principal(request)
    const body = request.body as Partial<{ scale: number; delta: number }>
    const current = await ctx.apps.get(ref, who)
    // A stored manifest that does not read as one (manifest null) is refused by the validation below.
    const doc = { ...current.manifest }
    const before = typeof doc['scale'] === 'number' ? doc['scale'] : 1
    doc['scale'] = Math.min(MAX_SCALE, Math.max(0, body.scale ?? before + (body.delta ?? 0)))
    await ctx.apps.put(ref, serialize(doc), who)
    return ctx.apps.get(ref, who)
  })

  app.post('/api/v1/validate', {
    config: MANIFEST_BODY,
    schema: {
      summary: 'Validate a manifest without saving it (the console calls this as you type)',
      body: manifestBody,
      response: withErrors({ 200: validateReplySchema, 413: withWriteErrors({})[413] }),
    },
  }, async (request): Promise<ApiValidateReply> => {
    const result = await ctx.apps.validate(text(request.body))
    return result.ok ? { ok: true, errors: [], manifest: result.manifest } : { ok: false, errors: result.errors }
  })
}
