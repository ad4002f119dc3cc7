// The REST API's shapes for what apps keep (issue 11): volumes kept on their hosts, an
// app's secrets and configs, and the cluster's private registry credentials — names,
// versions and dates; never a secret's value or a registry password. Split from
// rest-api.ts, which holds the rest of /api/v1 on the wire. Pure: no I/O.
import type { RegistryCredentialView } from './registries.js'

// --- volumes (issue 11): where instances' named volumes live, kept after scale-down and delete

/** GET /api/v1/apps/:app/volumes: one entry per instance with a volume home. */
export interface ApiVolume {
  app: string
  name: string
  index: number
  host: string
  /** The home host has a live record (its conductor runs). */
  hostUp: boolean
  /** The instance is assigned (its manifest exists and the index is below its scale): its volumes are in use. */
  inUse: boolean
  /** The Docker volumes on the host, by volume name: `<app>---<name>---<index>---<volume>`. */
  volumes: { volume: string; dockerName: string }[]
  since: string
  recreatedFrom?: string
}

export const volumeSchema = {
  type: 'object',
  properties: {
    app: { type: 'string' }, name: { type: 'string' }, index: { type: 'integer' }, host: { type: 'string' },
    hostUp: { type: 'boolean' }, inUse: { type: 'boolean' },
    volumes: { type: 'array', items: { type: 'object', properties: { volume: { type: 'string' }, dockerName: { type: 'string' } } } },
    since: { type: 'string' }, recreatedFrom: { type: 'string' },
  },
} as const

// --- secrets and configs (issue 11): an app's owner stores them; the API never answers a secret's value

/** GET /api/v1/apps/:app/secrets (and the reply of PUT …/secrets/:name): names, versions and dates only. */
export interface ApiSecret { name: string; version: number; createdAt: string; updatedAt: string }

export const secretSchema = {
  type: 'object',
  properties: { name: { type: 'string' }, version: { type: 'integer' }, createdAt: { type: 'string' }, updatedAt: { type: 'string' } },
} as const

/** GET /api/v1/apps/:app/configs, PUT …/configs/:name: the same as a secret's. */
export type ApiConfig = ApiSecret

export const configSchema = secretSchema

/** GET /api/v1/apps/:app/configs/:name: configs are not secret, so their text is answered. */
export interface ApiConfigValue extends ApiConfig { data: string }

export const configValueSchema = {
  type: 'object',
  properties: { ...secretSchema.properties, data: { type: 'string' } },
} as const

// --- private registries (issue 11): admins store credentials; the password is never answered

/** PUT /api/v1/registries/:host: the body (JSON; the password is sealed before it is stored). */
export interface ApiRegistryLogin { username: string; password: string }

/** GET /api/v1/registries, and the reply of PUT: host, username and dates only. */
export type ApiRegistry = RegistryCredentialView

export const registrySchema = {
  type: 'object',
  properties: { host: { type: 'string' }, username: { type: 'string' }, createdAt: { type: 'string' }, updatedAt: { type: 'string' } },
} as const
