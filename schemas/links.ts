// Links: "svc" names a service of the manifest's own app, "svc.other" one of app
// "other". A link is also a door into another app's containers, so a user may link
// only to apps they own (root may link anywhere).
import type { ManifestError } from './manifest.js'

export interface LinkTarget { service: string; app: string }

/** The service and app a link names, in the context of the linking manifest's app. */
export function parseLink(link: string, ownApp: string): LinkTarget {
  const dot = link.indexOf('.')
  return dot < 0 ? { service: link, app: ownApp } : { service: link.slice(0, dot), app: link.slice(dot + 1) }
}

/**
 * Links into apps that `user` does not own. `ownerOf` answers an app's owner (undefined
 * for an app nobody claimed: only root's manifests may link there).
 */
export function foreignLinkProblems(
  links: readonly string[] | undefined, ownApp: string, user: string, ownerOf: (app: string) => string | undefined,
): ManifestError[] {
  if (user === 'root' || !links) return []
  const errors: ManifestError[] = []
  links.forEach((link, i) => {
    const { app, service } = parseLink(link, ownApp)
    if (app === ownApp) return
    const owner = ownerOf(app) ?? 'root'
    if (owner !== user) errors.push({ path: `/links/${i}`, message: `link "${link}": app "${app}" is not yours; you may link only to services of your own apps (service "${service}")` })
  })
  return errors
}
