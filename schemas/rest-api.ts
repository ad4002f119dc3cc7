// The builder's REST API (/api/v1) on the wire, as its clients read it: the shape of each
// reply (TypeScript types, and the JSON Schemas fastify serializes with and the OpenAPI
// document publishes), the bodies dokkaacfg sends, the error body and the codes clients
// branch on. builder/routes/* answer with these; cfg-cli reads them. The logs route's query
// and reply are the agent API's (agent-api.ts); what apps keep (volumes, secrets, configs,
// registries) is rest-api-data.ts. Pure: no I/O.
import type { HealthState } from './health.js'
import type { AppRef } from './keys.js'
import type { InstanceStateReport, Verb } from './lifecycle.js'
import type { ManifestError, NormalizedManifest } from './manifest.js'
import { manifestSchema } from './manifest-schema.js'
import { APP_PHASES, type ControlRecord, type HostRecord, type InstanceRecord, type RolloutStatus, type StatusRecord } from './records.js'

// --- errors

/** Every error reply: a stable code (docs/errors.md), a message for people, and details (null when none). */
export interface ApiErrorBody { error: { code: string; message: string; details: unknown } }

/** The codes a client acts on; their details are {errors: ManifestError[]} (JSON path and message of each). */
export const API_ERROR_CODES = {
  /** A manifest fails the schema, limits or policy: nothing was written. */
  invalidManifest: 'DKA_BUILDER_INVALID_MANIFEST',
  /** An app or name in the path breaks the naming rule. */
  invalidName: 'DKA_BUILDER_INVALID_NAME',
  /** A 403 that is not about who you are: the write would pass a quota of /config/policy. */
  quotaExceeded: 'DKA_BUILDER_QUOTA_EXCEEDED',
} as const

/** The details of the errors of API_ERROR_CODES. */
export interface ApiErrorListDetails { errors: ManifestError[] }

/** The error reply's JSON Schema, enumerating the codes the builder answers with (its catalogue, builder/errors.ts). */
export function errorReplySchema(codes: readonly string[]) {
  return {
    type: 'object',
    properties: {
      error: {
        type: 'object',
        properties: {
          // Every code of the builder's catalogue (builder/errors.ts; docs/errors.md says what each means).
          code: { type: 'string', enum: [...codes] },
          message: { type: 'string' },
          details: {},
        },
      },
    },
  } as const
}

// --- manifests and apps

export const manifestErrorSchema = {
  type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } },
} as const

/** Records other components write (status, instances, hosts) pass through as they are. */
export const anyObject = { type: 'object', additionalProperties: true } as const

// --- status and rollouts (written by the scheduler; the builder passes on what reads right)

// Keyed by every value of their types: a value the contract adds fails to compile here until listed.
const healthStates: Record<HealthState, true> = { starting: true, healthy: true, unhealthy: true }
const rolloutStates: Record<RolloutStatus['state'], true> = { rolling: true, completed: true, 'rolled-back': true, paused: true }

/** Every health an instance record may carry (schemas/health.ts HealthState). */
export const HEALTH_STATES = Object.keys(healthStates) as HealthState[]

/** Every state of a rolling update (records.ts RolloutStatus). */
export const ROLLOUT_STATES = Object.keys(rolloutStates) as RolloutStatus['state'][]

const revisionRef = {
  type: 'object', properties: { revision: { type: 'integer' }, specHash: { type: 'string' } },
} as const

/** The last rolling update of a manifest: from → to (manifest revisions), how far, how it ended. */
export const rolloutSchema = {
  type: 'object',
  description: 'The last rolling update (kept after it ends until the next starts). updated: instances on the new spec that stayed healthy for the monitor period, of total; reason: why it was rolled back or paused.',
  properties: {
    state: { type: 'string', enum: [...ROLLOUT_STATES] },
    from: revisionRef, to: revisionRef,
    updated: { type: 'integer' }, total: { type: 'integer' },
    reason: { type: 'string' }, startedAt: { type: 'string' }, endedAt: { type: 'string' },
  },
} as const

/** The scheduler's status record as the builder answers it: fields of the wrong type are left out. */
export const statusSchema = {
  type: 'object',
  properties: {
    // A string, not an enum: a newer scheduler's phase is passed on rather than hidden.
    phase: { type: 'string', description: `one of ${APP_PHASES.join(', ')}` },
    desired: { type: 'integer' }, running: { type: 'integer' },
    revision: { type: 'integer' }, validRevision: { type: 'integer' }, specHash: { type: 'string' },
    errors: { type: 'array', items: manifestErrorSchema },
    problems: { type: 'array', items: { type: 'string' } },
    warnings: { type: 'array', items: { type: 'string' }, description: 'what is no problem but worth knowing: an instance started with empty volumes (volumeFailover "recreate") and where its data stays' },
    pulling: { type: 'array', items: { type: 'string' }, description: 'instances pulling their image, and how far' },
    rollout: rolloutSchema,
    lastEvent: { type: 'object', properties: { at: { type: 'string' }, message: { type: 'string' } } },
    updatedAt: { type: 'string' },
  },
} as const

/** A manifest with its status and lifecycle intent. */
export interface ApiManifestView extends AppRef {
  /** The stored document as it is (not necessarily valid), or null when it is not a JSON object within the manifest limits. */
  manifest: Record<string, unknown> | null
  revision: number
  createdRevision: number
  status?: Partial<StatusRecord>
  control?: ControlRecord
}

export const manifestViewSchema = {
  type: 'object',
  properties: {
    app: { type: 'string' }, name: { type: 'string' },
    // null: the stored value is not a JSON object within the manifest limits (written straight into etcd).
    manifest: { type: ['object', 'null'], additionalProperties: true },
    revision: { type: 'integer' }, createdRevision: { type: 'integer' },
    status: statusSchema, control: anyObject,
  },
} as const

/** An app: GET /api/v1/apps lists them, GET /api/v1/apps/<app> is one. */
export interface ApiAppSummary { app: string; owner?: string; manifests: ApiManifestView[] }

export const appSummarySchema = {
  type: 'object',
  properties: { app: { type: 'string' }, owner: { type: 'string' }, manifests: { type: 'array', items: manifestViewSchema } },
} as const

/** The largest scale (the manifest schema's). */
export const MAX_SCALE = manifestSchema.properties.scale.maximum

/** POST /api/v1/apps/<app>/<name>/scale: a new scale, or a change by delta. */
export type ApiScaleRequest = { scale: number } | { delta: number }

export const scaleRequestSchema = {
  type: 'object', additionalProperties: false, minProperties: 1, maxProperties: 1,
  properties: { scale: { type: 'integer', minimum: 0, maximum: MAX_SCALE }, delta: { type: 'integer', minimum: -MAX_SCALE, maximum: MAX_SCALE } },
} as const

/** POST /api/v1/validate: the manifest as normalized when valid, every error when not. */
export interface ApiValidateReply { ok: boolean; errors: ManifestError[]; manifest?: NormalizedManifest }

export const validateReplySchema = {
  type: 'object', properties: { ok: { type: 'boolean' }, errors: { type: 'array', items: manifestErrorSchema }, manifest: anyObject },
} as const

// --- instances and lifecycle

/** An instance as its conductor reports it. */
export interface ApiInstance extends InstanceRecord { index: number }

export const instanceSchema = {
  type: 'object',
  properties: {
    index: { type: 'integer' }, host: { type: 'string' }, hostAddress: { type: 'string' },
    containerId: { type: 'string' }, containerName: { type: 'string' }, state: { type: 'string' },
    specHash: { type: 'string' }, address: { type: 'string' },
    ports: { type: 'object', additionalProperties: { type: 'integer' } },
    restarts: { type: 'integer' }, startedAt: { type: 'string' }, exitCode: { type: 'integer' },
    error: { type: 'string' }, restartGeneration: { type: 'integer' }, updatedAt: { type: 'string' },
    health: { type: 'string', enum: [...HEALTH_STATES], description: 'absent when neither the manifest nor the image has a health check' },
    healthError: { type: 'string', description: 'the last failed check, e.g. "GET /healthz: 503"' },
    healthySince: { type: 'string', description: 'since when (ISO time) the instance has been healthy without a break' },
    imageDigest: { type: 'string', description: 'the registry digest (sha256:…) of the image the container runs, when it came from a registry' },
    imageId: { type: 'string', description: 'the local image id (sha256:…) the container runs' },
    pullProgress: { type: 'string', description: 'while pulling: layers and bytes done of the image' },
  },
} as const

/** The reply of a lifecycle verb and of `state`: the intent, and desired against actual per instance. */
export interface ApiStateReply { verb: Verb | 'state'; control: ControlRecord; state: InstanceStateReport[] }

export const stateItemSchema = {
  type: 'object',
  properties: {
    index: { type: 'integer' }, desired: { type: 'string' }, actual: { type: 'string' },
    host: { type: 'string' }, converged: { type: 'boolean' },
  },
} as const

export const stateReplySchema = {
  type: 'object',
  properties: { verb: { type: 'string' }, control: anyObject, state: { type: 'array', items: stateItemSchema } },
} as const

// --- hosts

/** A live host: its record (without the agent's URL) and its load, the instances assigned to it. */
export type ApiHost = Omit<HostRecord, 'agentUrl'> & { load: number }

export const hostSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, address: { type: 'string' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    cpus: { type: 'number' }, memory: { type: 'number' }, engineVersion: { type: 'string' },
    ambassadorAddress: { type: 'string' }, startedAt: { type: 'string' }, load: { type: 'integer' },
  },
} as const

// --- sessions, tokens, users

/** Who the credentials belong to (POST /api/v1/login, GET /api/v1/me). */
export interface ApiMe { user: string; admin: boolean }

export const meSchema = {
  type: 'object',
  properties: { user: { type: 'string' }, admin: { type: 'boolean' } },
} as const

/** GET /api/v1/session: never a 401 for missing or stale credentials. */
export type ApiSession = { authenticated: true; user: string; admin: boolean } | { authenticated: false; user?: undefined; admin?: undefined }

export const sessionSchema = {
  type: 'object', properties: { authenticated: { type: 'boolean' }, user: { type: 'string' }, admin: { type: 'boolean' } },
} as const

/** An API token's name: 1 to this many characters. */
export const TOKEN_NAME_MAX = 64

/** POST /api/v1/tokens. */
export interface ApiTokenRequest { name: string }

export const tokenRequestSchema = {
  type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: TOKEN_NAME_MAX } },
} as const

/** An API token; `token`, its plaintext, is in the create reply only. */
export interface ApiToken { id: string; name: string; user: string; createdAt: string; token?: string }

export const tokenSchema = {
  type: 'object',
  properties: { id: { type: 'string' }, name: { type: 'string' }, user: { type: 'string' }, createdAt: { type: 'string' }, token: { type: 'string' } },
} as const

/** A user; `password` only in the create reply, when the builder generated it. */
export interface ApiUser { name: string; admin: boolean; createdAt: string; password?: string }

export const userSchema = {
  type: 'object',
  properties: { name: { type: 'string' }, admin: { type: 'boolean' }, createdAt: { type: 'string' }, password: { type: 'string' } },
} as const
