// The cluster policy at /config/policy: written by an operator (etcdctl), read by the
// scheduler and the builder. It widens what dockerflags may ask for, tightens the
// manifest limits, and sets per-user quotas. Operators write it by hand, so it is
// validated like a manifest; a reader keeps the last valid policy when a new one is not.
import { Ajv } from 'ajv'
import { LIMIT_NAMES, type ManifestLimits } from './limits.js'
import { MEMORY_PATTERN } from './manifest-schema.js'
import { formatMemory, parseMemory } from './memory.js'
import type { ManifestError } from './manifest.js'

export interface Quota {
  /** Manifests the user may own, over all their apps. */
  manifests?: number
  /** Instances (sum of scale) over all their manifests. */
  instances?: number
  /** Memory (sum of scale × resources.memory), a size like "8g". */
  memory?: string
}

export interface QuotaPolicy {
  /** The quota of every user without one of their own. */
  default?: Quota
  /** Quotas by user name; they replace the default for that user. */
  users?: Record<string, Quota>
  /** Root is exempt unless this is true. */
  includeRoot?: boolean
}

export interface ClusterPolicy {
  /** dockerflags.NetworkMode "host" is allowed. */
  allowHostNetwork?: boolean
  /** Host directories a manifest's volumes may bind (`hostPath`), each with what is below it. None by default. */
  allowHostPaths?: string[]
  /** Lower manifest limits than the defaults (never higher). */
  limits?: Partial<ManifestLimits>
  quotas?: QuotaPolicy
}

const count = { type: 'integer', minimum: 0 } as const
const quotaSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { manifests: count, instances: count, memory: { type: 'string', pattern: MEMORY_PATTERN } },
} as const

export const policySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    allowHostNetwork: { type: 'boolean' },
    allowHostPaths: { type: 'array', maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 1024, pattern: '^/' } },
    limits: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(LIMIT_NAMES.map(k => [k, { type: 'integer', minimum: 1 }])),
    },
    quotas: {
      type: 'object',
      additionalProperties: false,
      properties: {
        default: quotaSchema,
        users: { type: 'object', maxProperties: 10_000, additionalProperties: quotaSchema },
        includeRoot: { type: 'boolean' },
      },
    },
  },
} as const

const check = new Ajv({ allErrors: true, strict: false }).compile<ClusterPolicy>(policySchema)

/** Largest policy document read (operators write it; it is read on every scheduler pass). */
export const MAX_POLICY_BYTES = 1024 * 1024

export type PolicyResult = { ok: true; policy: ClusterPolicy } | { ok: false; errors: ManifestError[] }

/** Validates policy text from etcd; the errors name the field at fault. */
export function parsePolicy(text: string): PolicyResult {
  if (text.length > MAX_POLICY_BYTES) return { ok: false, errors: [{ path: '', message: `the policy is larger than ${MAX_POLICY_BYTES} bytes` }] }
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (err) {
    return { ok: false, errors: [{ path: '', message: `invalid JSON: ${(err as Error).message}` }] }
  }
  if (!check(doc)) {
    return { ok: false, errors: (check.errors ?? []).map(e => ({ path: e.instancePath, message: e.message ?? 'is invalid' })) }
  }
  return { ok: true, policy: doc }
}

/** What a user holds (or would hold after a change). */
export interface Usage {
  manifests: number
  instances: number
  /** Bytes; manifests without resources.memory count 0 and are refused under a memory quota. */
  memory: number
  /** Manifests without resources.memory. */
  unsized: number
}

export const NO_USAGE: Usage = Object.freeze({ manifests: 0, instances: 0, memory: 0, unsized: 0 })

/** The usage of a set of manifests (normalized: scale filled in). */
export function usageOf(manifests: Iterable<{ scale: number; resources?: { memory?: string } }>): Usage {
  const u = { ...NO_USAGE }
  for (const m of manifests) {
    u.manifests++
    u.instances += m.scale
    if (m.resources?.memory === undefined) u.unsized++
    else u.memory += m.scale * parseMemory(m.resources.memory)
  }
  return u
}

/** The quota that binds `user`, or undefined when none does (root is exempt by default). */
export function quotaFor(policy: ClusterPolicy | undefined, user: string): Quota | undefined {
  const q = policy?.quotas
  if (!q) return undefined
  if (user === 'root' && !q.includeRoot) return undefined
  return q.users?.[user] ?? q.default
}

/**
 * Why `usage` (what the user would hold after the change) breaks their quota: one error
 * per quota passed, naming it, the usage and the limit. Empty when within quota.
 */
export function quotaProblems(policy: ClusterPolicy | undefined, user: string, usage: Usage): ManifestError[] {
  const quota = quotaFor(policy, user)
  if (!quota) return []
  const errors: ManifestError[] = []
  const over = (name: string, have: string, limit: string) =>
    errors.push({ path: '', message: `quota exceeded: user "${user}" would have ${have}; quota ${name} is ${limit} (ask an operator to raise quotas in /config/policy)` })
  if (quota.manifests !== undefined && usage.manifests > quota.manifests) over('manifests', `${usage.manifests} manifests`, String(quota.manifests))
  if (quota.instances !== undefined && usage.instances > quota.instances) over('instances', `${usage.instances} instances`, String(quota.instances))
  if (quota.memory !== undefined) {
    if (usage.unsized > 0) {
      errors.push({ path: '/resources/memory', message: `resources.memory is required: user "${user}" has a memory quota (${quota.memory})` })
    } else if (usage.memory > parseMemory(quota.memory)) {
      over('memory', `${formatMemory(usage.memory)} of memory`, quota.memory)
    }
  }
  return errors
}
