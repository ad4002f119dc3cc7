// Reading manifests for `apply -f`: files or directories of .json/.yaml/.yml. A document
// is either {"app", "name", "manifest"} (what `import` writes) or a bare manifest,
// whose name is its file name and whose app comes from --app.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, extname, join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { UsageError } from './errors.js'
import { dnsName } from './compose-import.js'

export interface ManifestDoc { app: string; name: string; manifest: Record<string, unknown>; source: string }

const EXTS = new Set(['.json', '.yaml', '.yml'])

export function expandPaths(paths: string[]): string[] {
  const out: string[] = []
  for (const p of paths) {
    let st
    try { st = statSync(p) } catch { throw new UsageError(`${p}: no such file or directory`) }
    if (st.isDirectory()) out.push(...readdirSync(p).filter(f => EXTS.has(extname(f))).sort().map(f => join(p, f)))
    else out.push(p)
  }
  return out
}

/** Pure: documents of one file's text. */
export function parseManifestText(text: string, source: string, defaultApp?: string): ManifestDoc[] {
  const docs: unknown[] = []
  if (extname(source) === '.json') {
    try { docs.push(JSON.parse(text)) } catch (e) { throw new UsageError(`${source}: invalid JSON: ${(e as Error).message}`) }
  } else {
    for (const d of parseAllDocuments(text)) {
      if (d.errors.length) throw new UsageError(`${source}: invalid YAML: ${d.errors[0]!.message.split('\n')[0]}`)
      const v: unknown = d.toJS()
      if (v !== null && v !== undefined) docs.push(v)
    }
  }
  return docs.flatMap(d => (Array.isArray(d) ? d : [d])).map((d, i) => {
    if (typeof d !== 'object' || d === null) throw new UsageError(`${source}: document ${i + 1} is not an object`)
    const o = d as Record<string, unknown>
    if (typeof o.manifest === 'object' && o.manifest !== null && typeof o.app === 'string' && typeof o.name === 'string') {
      return { app: o.app, name: o.name, manifest: o.manifest as Record<string, unknown>, source }
    }
    if (!defaultApp) throw new UsageError(`${source}: a bare manifest needs --app (or write {"app": …, "name": …, "manifest": {…}})`)
    return { app: defaultApp, name: dnsName(basename(source, extname(source))), manifest: o, source }
  })
}

export function readManifestFiles(paths: string[], defaultApp?: string): ManifestDoc[] {
  const files = expandPaths(paths)
  if (!files.length) throw new UsageError(`no .json, .yaml or .yml files in ${paths.join(', ')}`)
  return files.flatMap(f => parseManifestText(readFileSync(f, 'utf8'), f, defaultApp))
}
