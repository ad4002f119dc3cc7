// etcd v2 keys API reply shapes (pure), so old Dokkaa scripts — `curl -XPUT -d value=...
// /v2/keys/apps/dummy/nginx/manifest` — work against the builder unchanged.
import { nameProblem, type AppRef, type ManifestError } from '../schemas/index.js'
import type { AppSummary } from './store/apps.js'
import type { Entry } from '../kit/kv.js'

export interface V2Node {
  key: string
  value?: string
  dir?: boolean
  nodes?: V2Node[]
  modifiedIndex: number
  createdIndex: number
}

/** What a v2 key path names: a manifest, or a directory of apps — or app/name segments that break the naming rule. */
export type V2Path =
  | { kind: 'manifest'; ref: AppRef }
  | { kind: 'root' }
  | { kind: 'app'; app: string }
  | { kind: 'name'; ref: AppRef }
  | { kind: 'other' }
  | { kind: 'invalid'; errors: ManifestError[] }

/**
 * The path after /v2/keys. Empty segments are dropped (etcd v2 cleans paths too, so
 * "/apps//shop/" is "/apps/shop"), but ".." and "." are never resolved: a segment where an
 * app or a name goes is checked by the naming rule like any other, so "/apps/../web/manifest"
 * is an invalid name, never a key.
 */
export function parseV2Path(path: string): V2Path {
  const parts = path.split('/').filter(Boolean)
  if (parts[0] !== 'apps') return { kind: 'other' }
  const [, app, name, leaf] = parts
  if (parts.length === 1) return { kind: 'root' }
  if (parts.length > 4 || (parts.length === 4 && leaf !== 'manifest')) return { kind: 'other' }
  const errors = [nameProblem('app', app), ...(parts.length >= 3 ? [nameProblem('name', name)] : [])].filter((e): e is ManifestError => e !== undefined)
  if (errors.length > 0) return { kind: 'invalid', errors }
  if (parts.length === 2) return { kind: 'app', app: app! }
  if (parts.length === 3) return { kind: 'name', ref: { app: app!, name: name! } }
  return { kind: 'manifest', ref: { app: app!, name: name! } }
}

export function manifestKey(ref: AppRef): string {
  return `/apps/${ref.app}/${ref.name}/manifest`
}

export function fileNode(key: string, e: Pick<Entry, 'value' | 'modRevision' | 'createRevision'>): V2Node {
  return { key, value: e.value, modifiedIndex: e.modRevision, createdIndex: e.createRevision }
}

/** A directory listing over the apps a user may see; recursive lists down to manifests. */
export function dirNode(path: V2Path, apps: AppSummary[], recursive: boolean): V2Node | undefined {
  const manifestNode = (app: string, m: AppSummary['manifests'][number]): V2Node =>
    ({ key: manifestKey({ app, name: m.name }), value: m.raw, modifiedIndex: m.revision, createdIndex: m.createdRevision })
  const nameNode = (app: string, m: AppSummary['manifests'][number], deep: boolean): V2Node => ({
    key: `/apps/${app}/${m.name}`, dir: true, modifiedIndex: m.createdRevision, createdIndex: m.createdRevision,
    ...(deep ? { nodes: [manifestNode(app, m)] } : {}),
  })
  const appNode = (a: AppSummary, deep: boolean, deeper: boolean): V2Node => {
    const first = Math.min(...a.manifests.map(m => m.createdRevision))
    return {
      key: `/apps/${a.app}`, dir: true, modifiedIndex: first, createdIndex: first,
      ...(deep ? { nodes: a.manifests.map(m => nameNode(a.app, m, deeper)) } : {}),
    }
  }
  switch (path.kind) {
    case 'root':
      // etcd reports 0 for a directory nobody created explicitly.
      return { key: '/apps', dir: true, modifiedIndex: 0, createdIndex: 0, nodes: apps.map(a => appNode(a, recursive, recursive)) }
    case 'app': {
      const a = apps.find(x => x.app === path.app)
      return a ? appNode(a, true, recursive) : undefined
    }
    case 'name': {
      const a = apps.find(x => x.app === path.ref.app)
      const m = a?.manifests.find(x => x.name === path.ref.name)
      return a && m ? nameNode(a.app, m, true) : undefined
    }
    default:
      return undefined
  }
}
