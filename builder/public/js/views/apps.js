// @ts-check
// The apps list with live state, re-read (coalesced) on status/instance events.
import { api, onChange } from '../api.js'
import { h, stateBadge, table } from '../dom.js'

/** @param {any} m */
function phaseOf(m) {
  if (m.control?.state === 'stopped') return 'Stopped'
  return m.status?.phase ?? 'Pending'
}

/**
 * A rollout under way, beside the counts: how far it got.
 * @param {any} m
 */
function rolling(m) {
  const r = m.status?.rollout
  return r?.state === 'rolling' ? h('span', { class: 'muted' }, ` · updating ${r.updated}/${r.total}`) : null
}

export const MANIFEST_HEADERS = ['App / name', 'Image', 'State', 'Running / scale']

/**
 * One manifest's row, here and on the app's page: the app part links to the app's page
 * (its volumes, secrets and configs), the name to the manifest's.
 * @param {string} app
 * @param {any} m
 * @param {...import('../dom.js').Child} extra  more cells
 */
export function manifestRow(app, m, ...extra) {
  const enc = encodeURIComponent
  return h('tr', { 'data-app': `${app}/${m.name}` },
    h('td', {}, h('a', { href: `#/apps/${enc(app)}`, 'data-testid': 'app-link' }, app), '/', h('a', { href: `#/apps/${enc(app)}/${enc(m.name)}` }, m.name)),
    h('td', {}, m.manifest?.image ?? ''),
    h('td', { class: 'phase' }, stateBadge(phaseOf(m))),
    h('td', { class: 'counts' }, `${m.status?.running ?? 0} / ${m.manifest?.scale ?? 1}`, rolling(m)),
    ...extra)
}

/** @param {import('../dom.js').Ctx} ctx */
export async function appsView({ view }) {
  const body = h('div')
  view.append(h('div', { class: 'row' }, h('h1', {}, 'Apps'), h('a', { class: 'button', href: '#/new' }, 'New app')), body)

  async function render() {
    const apps = await api('GET', '/apps')
    const rows = apps.flatMap((/** @type {any} */ a) => a.manifests.map((/** @type {any} */ m) => manifestRow(a.app, m, h('td', { class: 'muted' }, a.owner ?? ''))))
    body.replaceChildren(rows.length
      ? table([...MANIFEST_HEADERS, 'Owner'], rows)
      : h('p', { class: 'card' }, 'No apps yet. ', h('a', { href: '#/new' }, 'Create one'), ' or PUT a manifest to /v2/keys/apps/<app>/<name>/manifest.'))
  }
  await render()
  // Coalesce bursts of changes into one re-read.
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer
  const off = onChange(c => {
    if (c.kind === 'hosts') return
    clearTimeout(timer)
    timer = setTimeout(() => { render().catch(() => {}) }, 150)
  })
  return () => { off(); clearTimeout(timer) }
}
