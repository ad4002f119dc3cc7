// @ts-check
// One manifest's page: live state, the last rolling update, lifecycle buttons, scale,
// instances with their health and image, logs that follow, and the manifest editor with inline schema errors.
import { api, onChange, path, streamLogs } from '../api.js'
import { ago, h, notice, stateBadge, table } from '../dom.js'
import { healthCell } from './health.js'
import { imageCell } from './image.js'
import { manifestEditor } from './manifest-editor.js'
import { rolloutPanel } from './rollout.js'

const VERBS = ['start', 'stop', 'restart', 'pause', 'unpause']

/** The app's own page (its manifests, volumes, secrets and configs), one click up. */
const appLink = (/** @type {string} */ app) => h('a', { href: `#/apps/${encodeURIComponent(app)}`, 'data-testid': 'app-link' }, app)

/**
 * @param {import('../dom.js').Ctx} ctx
 * @param {string} app
 * @param {string} name
 */
export async function appView({ view, go }, app, name) {
  const base = `/apps/${path(app, name)}`
  /** @type {any} */
  let current
  try {
    current = await api('GET', base)
  } catch (/** @type {any} */ err) {
    view.append(h('h1', {}, appLink(app), `/${name}`), notice('bad', err.message))
    return
  }
  const phase = h('span')
  const counts = h('span', { class: 'muted', 'data-testid': 'counts' })
  const scaleShown = h('span', { class: 'scale', 'data-testid': 'scale' })
  const msg = h('div')
  // What the scheduler says is wrong (problems) or worth knowing (warnings: an instance
  // recreated with empty volumes; pulling: an image still coming down, which explains a
  // slow start), each as the scheduler wrote it.
  const said = h('div', { 'data-testid': 'status-notes' })
  const rollout = h('div', { class: 'card rollout', 'data-testid': 'rollout', hidden: true })
  const instances = h('div')
  const logs = h('pre', { class: 'logs', 'data-testid': 'logs' })
  const logsTitle = h('span', { class: 'muted' }, 'choose an instance')
  let stopLogs = () => {}
  const save = h('button', { class: 'primary', type: 'button', disabled: true }, 'Save manifest')

  const act = (/** @type {() => Promise<unknown>} */ fn) => async () => {
    msg.replaceChildren()
    try { await fn() } catch (/** @type {any} */ err) { msg.replaceChildren(notice('bad', err.message)) }
  }
  const showHeader = () => {
    const m = current.manifest ?? {}
    const p = current.control?.state === 'stopped' ? 'Stopped' : current.control?.state === 'paused' ? 'paused' : current.status?.phase ?? 'Pending'
    phase.replaceChildren(stateBadge(p))
    phase.setAttribute('data-testid', 'phase')
    counts.textContent = `${current.status?.running ?? 0} running of ${m.scale ?? 1}${current.status?.lastEvent ? ` — ${current.status.lastEvent.message}` : ''}`
    scaleShown.textContent = String(m.scale ?? 1)
    said.replaceChildren(
      ...(current.status?.problems ?? []).map((/** @type {string} */ p) => notice('bad', p)),
      ...(current.status?.warnings ?? []).map((/** @type {string} */ w) => notice('warn', w)),
      ...(current.status?.pulling ?? []).map((/** @type {string} */ p) => {
        const n = notice('warn', p)
        n.dataset.note = 'pulling'
        return n
      }))
    const r = rolloutPanel(current.status?.rollout)
    rollout.replaceChildren(...r)
    rollout.hidden = r.length === 0
  }

  /** @param {number} index */
  function followLogs(index) {
    stopLogs()
    logs.textContent = ''
    logsTitle.textContent = `instance ${index} (following)`
    stopLogs = streamLogs(app, name, index, text => {
      const atEnd = logs.scrollTop + logs.clientHeight >= logs.scrollHeight - 4
      logs.append(text)
      if (atEnd) logs.scrollTop = logs.scrollHeight
    }, why => { logsTitle.textContent = `instance ${index} (${why})` })
  }

  async function renderInstances() {
    const list = await api('GET', `${base}/instances`)
    instances.replaceChildren(list.length
      ? table(['#', 'State', 'Health', 'Image', 'Host', 'Address', 'Ports', 'Restarts', 'Started', ''], list.map((/** @type {any} */ i) => h('tr', { 'data-instance': i.index },
        h('td', {}, i.index), h('td', { class: 'istate' }, stateBadge(i.state)), healthCell(i), imageCell(i), h('td', {}, i.host), h('td', {}, i.address ?? ''),
        h('td', {}, Object.entries(i.ports ?? {}).map(([s, p]) => `${s}→${i.hostAddress}:${p}`).join(' ')),
        h('td', {}, i.restarts), h('td', { class: 'muted' }, ago(i.startedAt)),
        h('td', {}, h('div', { class: 'row' },
          h('button', { type: 'button', onclick: () => followLogs(i.index) }, 'Logs'),
          ...['stop', 'start', 'restart'].map(v => h('button', { type: 'button', onclick: act(() => api('POST', `${base}/instances/${i.index}/actions/${v}`)) }, v)))))))
      : h('p', { class: 'muted' }, 'No instances reported yet.'))
  }

  const editor = manifestEditor({ id: 'manifest', text: JSON.stringify(current.manifest, null, 2), onValid: ok => { save.disabled = !ok } })
  save.addEventListener('click', act(async () => {
    const r = await editor.check()
    if (!r.ok) return
    current = await api('PUT', `${base}/manifest`, editor.text, { text: true })
    editor.set(JSON.stringify(current.manifest, null, 2))
    showHeader()
    msg.replaceChildren(notice('ok', 'Saved.'))
  }))

  view.append(
    h('h1', {}, appLink(app), `/${name} `, phase),
    h('div', { class: 'card' },
      counts,
      h('div', { class: 'row' }, VERBS.map(v => h('button', { type: 'button', 'data-verb': v, onclick: act(async () => {
        await api('POST', `${base}/actions/${v}`)
        current = await api('GET', base)
        showHeader()
      }) }, v))),
      h('div', { class: 'row' }, 'Scale',
        h('button', { type: 'button', 'aria-label': 'scale down', 'data-testid': 'scale-down', onclick: act(async () => { current = await api('POST', `${base}/scale`, { delta: -1 }); showHeader(); if (!editor.dirty) editor.set(JSON.stringify(current.manifest, null, 2)) }) }, '−'),
        scaleShown,
        h('button', { type: 'button', 'aria-label': 'scale up', 'data-testid': 'scale-up', onclick: act(async () => { current = await api('POST', `${base}/scale`, { delta: 1 }); showHeader(); if (!editor.dirty) editor.set(JSON.stringify(current.manifest, null, 2)) }) }, '+')),
      said, msg),
    rollout,
    h('h2', {}, 'Instances'), instances,
    h('h2', {}, 'Logs ', logsTitle), logs,
    h('h2', {}, 'Manifest'), h('div', { class: 'card' }, editor.el, h('div', { class: 'row' }, save,
      h('button', { class: 'danger', type: 'button', onclick: act(async () => {
        if (!confirm(`Delete ${app}/${name}? Its containers will be removed.`)) return
        await api('DELETE', base)
        go('#/apps')
      }) }, 'Delete'))),
  )
  showHeader()
  await renderInstances()

  // An instance change re-reads the table at once; changes arriving meanwhile are folded
  // into one more read, so a burst costs two reads and the first change shows without delay.
  let reading = false
  let again = false
  let closed = false
  const refreshInstances = async () => {
    if (reading) { again = true; return }
    reading = true
    try {
      do { again = false; await renderInstances() } while (again && !closed)
    } catch { /* the next change or a reload shows it */ } finally { reading = false }
  }
  const off = onChange((/** @type {any} */ c) => {
    if (c.app !== app || c.name !== name) return
    if (c.kind === 'status' && c.type === 'put') { current.status = c.value; showHeader() }
    else if (c.kind === 'control') { current.control = c.type === 'put' ? c.value : undefined; showHeader() }
    else if (c.kind === 'manifest' && c.type === 'put') {
      current.manifest = c.value
      showHeader()
      if (!editor.dirty) editor.set(JSON.stringify(c.value, null, 2))
    } else if (c.kind === 'instance') {
      void refreshInstances()
    }
  })
  return () => { closed = true; off(); stopLogs() }
}
