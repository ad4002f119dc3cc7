// @ts-check
// An app's page: its manifests (each linking to its own page), then what the app keeps
// beside them — the volumes of its instances, its secrets and its configs. Every panel
// reads its own route, so an app with no manifest (only a secret, or volumes kept after a
// delete) still has a page, and someone else's app shows each panel's 404 and nothing else.
import { api, onChange, path } from '../api.js'
import { h, notice, table } from '../dom.js'
import { manifestRow, MANIFEST_HEADERS } from './apps.js'
import { configsPanel, secretsPanel } from './secrets.js'
import { volumesPanel } from './volumes.js'

/**
 * @param {import('../dom.js').Ctx} ctx
 * @param {string} app
 */
export async function appHomeView({ view }, app) {
  const manifests = h('div', { 'data-testid': 'manifests' })
  const volumes = volumesPanel(app)
  const secrets = secretsPanel(app)
  const configs = configsPanel(app)
  view.append(h('h1', {}, app), h('h2', {}, 'Manifests'), manifests, volumes.el, secrets.el, configs.el)

  async function renderManifests() {
    try {
      const a = await api('GET', `/apps/${path(app)}`)
      manifests.replaceChildren(table(MANIFEST_HEADERS, a.manifests.map((/** @type {any} */ m) => manifestRow(app, m))))
    } catch (/** @type {any} */ err) {
      // 404 is also what an app that keeps only volumes, secrets or configs answers.
      manifests.replaceChildren(err.status === 404
        ? h('p', { class: 'muted' }, `No manifests (${err.message}). `, h('a', { href: '#/new' }, 'Create one'), '.')
        : notice('bad', err.message))
    }
  }
  await Promise.all([renderManifests(), volumes.refresh(), secrets.refresh(), configs.refresh()])

  // Manifest and status changes redraw the list; instance changes can free (scale-down) or
  // take a volume, so they re-read the volumes. Bursts are folded into one read each.
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let manifestTimer
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let volumeTimer
  const off = onChange(c => {
    if (c.app !== app) return
    if (c.kind === 'instance') {
      clearTimeout(volumeTimer)
      volumeTimer = setTimeout(() => { void volumes.refresh() }, 150)
    } else if (c.kind !== 'hosts') {
      clearTimeout(manifestTimer)
      manifestTimer = setTimeout(() => { void renderManifests() }, 150)
    }
  })
  return () => { off(); clearTimeout(manifestTimer); clearTimeout(volumeTimer) }
}
