// JSON Schema fragments shared by the route plugins (fastify validates with them and
// @fastify/swagger publishes them in the OpenAPI document).
import { NAME_PATTERN } from '../../schemas/index.js'
import { VERBS } from '../lifecycle.js'

export const name = { type: 'string', pattern: NAME_PATTERN } as const
export const appParams = {
  type: 'object', required: ['app'], additionalProperties: false, properties: { app: name },
} as const
export const manifestParams = {
  type: 'object', required: ['app', 'name'], additionalProperties: false, properties: { app: name, name },
} as const
export const instanceParams = {
  type: 'object', required: ['app', 'name', 'index'], additionalProperties: false,
  properties: { app: name, name, index: { type: 'integer', minimum: 0, maximum: 999 } },
} as const
export const verb = { type: 'string', enum: [...VERBS] } as const

export const errorReply = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
    },
  },
} as const

export const manifestError = {
  type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } },
} as const

/** Records other components write (status, instances, hosts) pass through as they are. */
export const anyObject = { type: 'object', additionalProperties: true } as const

export const manifestView = {
  type: 'object',
  properties: {
    app: { type: 'string' }, name: { type: 'string' },
    manifest: anyObject, revision: { type: 'integer' }, createdRevision: { type: 'integer' },
    status: anyObject, control: anyObject,
  },
} as const

export const instanceView = {
  type: 'object',
  properties: {
    index: { type: 'integer' }, host: { type: 'string' }, hostAddress: { type: 'string' },
    containerId: { type: 'string' }, containerName: { type: 'string' }, state: { type: 'string' },
    specHash: { type: 'string' }, address: { type: 'string' },
    ports: { type: 'object', additionalProperties: { type: 'integer' } },
    restarts: { type: 'integer' }, startedAt: { type: 'string' }, exitCode: { type: 'integer' },
    error: { type: 'string' }, restartGeneration: { type: 'integer' }, updatedAt: { type: 'string' },
  },
} as const

export function withErrors<T extends Record<number, unknown>>(ok: T): T & Record<number, unknown> {
  return { ...ok, 400: errorReply, 401: errorReply, 404: errorReply }
}
