// @ts-check
// The named volumes an app's instances keep (GET /apps/:app/volumes): where each lives,
// whether its host is up and whether the instance still uses it — and their removal.
// Removing deletes the data on the home host, so it takes a second click; a home host that
// is down cannot delete anything, so there the choice is to forget the record, and the
// page says the data stays on that host's disk.
import { api, path } from '../api.js'
import { ago, h, notice, table, twoStepButton } from '../dom.js'

/**
 * @typedef {{ app: string, name: string, index: number, host: string, hostUp: boolean, inUse: boolean,
 *   volumes: { volume: string, dockerName: string }[], since: string, recreatedFrom?: string }} Volume
 */

/**
 * The panel and its refresh (the app's page calls it on instance changes: scaling down
 * is what frees a volume).
 * @param {string} app
 */
export function volumesPanel(app) {
  const list = h('div')
  const msg = h('div', { 'data-testid': 'volumes-msg' })
  const el = h('section', { 'data-testid': 'volumes' }, h('h2', {}, 'Volumes'), msg, list)

  /** @param {Volume} v */
  function remove(v) {
    const forget = !v.hostUp
    return async () => {
      msg.replaceChildren()
      try {
        await api('DELETE', `/apps/${path(app, v.name)}/volumes/${v.index}${forget ? '?forget=true' : ''}`)
        msg.replaceChildren(notice('ok', forget
          ? `Forgot the volumes of ${v.name}/${v.index}; their data stays on ${v.host}'s disk.`
          : `Removed the volumes of ${v.name}/${v.index} and their data on ${v.host}.`))
      } catch (/** @type {any} */ err) {
        msg.replaceChildren(notice('bad', err.message))
      }
      await refresh()
    }
  }

  /** @param {Volume} v */
  const row = v => h('tr', { 'data-volume': `${v.name}/${v.index}` },
    h('td', {}, `${v.name}/${v.index}`),
    h('td', { class: 'vhost' }, v.host, v.hostUp ? null : [' ', h('span', { class: 'state failed', 'data-testid': 'host-down' }, 'down')]),
    h('td', {}, v.volumes.flatMap((x, i) => [i ? ', ' : '', h('span', { title: `Docker volume ${x.dockerName}` }, x.volume)])),
    h('td', { class: 'vinuse' }, v.inUse ? 'yes' : 'no'),
    h('td', { class: 'muted', title: v.since }, ago(v.since)),
    h('td', {}, v.recreatedFrom ? `recreated from ${v.recreatedFrom}` : ''),
    h('td', {}, v.hostUp
      ? twoStepButton('Remove', 'Really remove? The data is deleted', remove(v))
      : h('div', {},
        twoStepButton('Forget', 'Really forget?', remove(v)),
        h('div', { class: 'muted note' }, `${v.host} is down: Forget drops the record; the data stays on ${v.host}'s disk.`))))

  async function refresh() {
    try {
      /** @type {Volume[]} */
      const vols = await api('GET', `/apps/${path(app)}/volumes`)
      list.replaceChildren(vols.length
        ? table(['Manifest / index', 'Host', 'Volumes', 'In use', 'Since', 'Recreated', ''], vols.map(row))
        : h('p', { class: 'muted' }, 'No volumes kept.'))
    } catch (/** @type {any} */ err) {
      list.replaceChildren(notice('bad', err.message))
    }
  }
  return { el, refresh }
}
