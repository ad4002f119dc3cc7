// The secrets and configs a spec names, resolved against its own app's records
// (/secrets/<app>/<name>, /configs/<app>/<name>): what its assignments carry — the current
// version with the sealed value, or with the text — and what their spec hash covers
// (assignedSpecHash), so a new version is a new spec that the rollout rolls. The scheduler
// never opens a secret (it has no cluster key): it copies the sealed value. Pure.
import {
  assignedSpecHash,
  type AssignedConfig, type AssignedSecret, type Assignment, type ConfigRecord, type ContainerSpec, type ManifestError, type SecretRecord,
} from '../../schemas/index.js'

/** The readable records, keyed "app/name" (junk is left out: it counts as missing). */
export interface ValueRecords {
  secrets?: ReadonlyMap<string, SecretRecord>
  configs?: ReadonlyMap<string, ConfigRecord>
}

/** What an assignment carries of them; absent fields when the spec names none. */
export interface Values {
  secrets?: Record<string, AssignedSecret>
  configs?: Record<string, AssignedConfig>
}

export type Resolved = { ok: true; values: Values } | { ok: false; errors: ManifestError[] }

type Named = Pick<ContainerSpec, 'secrets' | 'configs'>

/** The current values of everything `spec` names in `app`; a missing one is an error naming
 * the field and the command that creates it (the manifest is then not placed, like an invalid one). */
export function resolveValues(app: string, spec: Named, records: ValueRecords): Resolved {
  const errors: ManifestError[] = []
  const secrets: Record<string, AssignedSecret> = {}
  const configs: Record<string, AssignedConfig> = {}
  ;(spec.secrets ?? []).forEach((name, i) => {
    const r = records.secrets?.get(`${app}/${name}`)
    if (r) secrets[name] = { version: r.version, sealed: r.sealed }
    else errors.push({ path: `/secrets/${i}`, message: missing('secret', app, name) })
  })
  for (const [path, name] of Object.entries(spec.configs ?? {})) {
    const r = records.configs?.get(`${app}/${name}`)
    if (r) configs[name] = { version: r.version, data: r.data }
    else errors.push({ path: `/configs/${path.replace(/~/g, '~0').replace(/\//g, '~1')}`, message: missing('config', app, name) })
  }
  if (errors.length > 0) return { ok: false, errors }
  return {
    ok: true,
    values: {
      ...(Object.keys(secrets).length > 0 ? { secrets } : {}),
      ...(Object.keys(configs).length > 0 ? { configs } : {}),
    },
  }
}

function missing(kind: 'secret' | 'config', app: string, name: string): string {
  return `${kind} "${name}" of app ${app} does not exist: create it with dokkaacfg ${kind} create ${app}/${name} --from-file <file>`
}

function names(spec: Named): { secrets: boolean; configs: boolean } {
  return { secrets: (spec.secrets ?? []).length > 0, configs: Object.keys(spec.configs ?? {}).length > 0 }
}

/**
 * An assignment built from a spec that came without values — a rollout's `previous`, which
 * carries only {spec, specHash, revision} — gets the current ones, and its hash is made
 * again from them. So a rollback goes back to the old spec with the CURRENT secret and
 * config versions: only the current version of a value is stored, and a secret rotated
 * because it leaked must not come back. An assignment that carries its values keeps them
 * (an old instance mid-rollout is not rolled by a rotation until its step). When a value is
 * gone the assignment is left as it is: the conductor fails that instance, saying which.
 */
export function withCurrentValues(app: string, a: Assignment, records: ValueRecords): Assignment {
  const needs = names(a.spec)
  if ((!needs.secrets || a.secrets) && (!needs.configs || a.configs)) return a
  const resolved = resolveValues(app, a.spec, records)
  if (!resolved.ok) return a
  const { secrets: _s, configs: _c, ...rest } = a
  return { ...rest, ...resolved.values, specHash: assignedSpecHash(a.spec, resolved.values) }
}
