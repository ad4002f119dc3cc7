// What a manifest's owner may do, decided over the whole cluster at once: links only into
// the owner's own apps, and the owner's quotas (cluster policy) over all their valid
// manifests. Manifests are counted in the order they were created (etcd create revision,
// then app/name), so when a user is over quota it is always their newest manifests that
// are refused, the same ones on every pass and on every scheduler. Root is exempt from
// both unless the policy includes it in quotas. Pure.
import {
  foreignLinkProblems, NO_USAGE, quotaProblems, usageOf,
  type ClusterPolicy, type ContainerSpec, type ManifestError, type Usage,
} from '../../schemas/index.js'

export interface OwnedManifest {
  /** "app/name". */
  id: string
  app: string
  createRevision: number
  scale: number
  spec: Pick<ContainerSpec, 'links' | 'resources'>
}

export const ROOT = 'root'

/** The user owning `app`: its /owners record, else root. */
export function ownerOf(owners: ReadonlyMap<string, string> | undefined, app: string): string {
  return owners?.get(app) ?? ROOT
}

/** id -> why the manifest may not be scheduled (foreign links, quotas); manifests not listed are fine. */
export function ownershipProblems(
  manifests: readonly OwnedManifest[], owners: ReadonlyMap<string, string> | undefined, policy: ClusterPolicy | undefined,
): Map<string, ManifestError[]> {
  const refused = new Map<string, ManifestError[]>()
  const byUser = new Map<string, OwnedManifest[]>()
  for (const m of manifests) {
    const user = ownerOf(owners, m.app)
    const links = foreignLinkProblems(m.spec.links, m.app, user, app => owners?.get(app))
    if (links.length > 0) { refused.set(m.id, links); continue }
    const list = byUser.get(user) ?? []
    list.push(m)
    byUser.set(user, list)
  }
  if (!policy?.quotas) return refused
  for (const [user, list] of byUser) {
    list.sort((a, b) => a.createRevision - b.createRevision || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    let usage: Usage = NO_USAGE
    for (const m of list) {
      const next = addUsage(usage, usageOf([{ scale: m.scale, resources: m.spec.resources }]))
      const problems = quotaProblems(policy, user, next)
      if (problems.length > 0) refused.set(m.id, problems)
      else usage = next
    }
  }
  return refused
}

function addUsage(a: Usage, b: Usage): Usage {
  return { manifests: a.manifests + b.manifests, instances: a.instances + b.instances, memory: a.memory + b.memory, unsized: a.unsized + b.unsized }
}
