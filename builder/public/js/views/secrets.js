// @ts-check
// An app's secrets and configs: names, versions and dates in a table, a form that writes a
// value (PUT: each write is the next version), and delete. Both kinds are one panel; a
// config's text can also be shown (configs are not secret).
//
// A secret's value goes only into the PUT's body. It is typed into a password field (or
// read from a file), never shown back, never in a URL, never logged, and the field is
// cleared once the builder has it — an input's value is not part of the page's HTML, and
// nothing of it is left in the page after a save.
import { api, path } from '../api.js'
import { ago, h, notice, table, twoStepButton } from '../dom.js'

/** @typedef {'secret' | 'config'} Kind */
/** @typedef {{ name: string, version: number, createdAt: string, updatedAt: string }} Entry */

/** @type {Record<Kind, { plural: string, title: string, hint: string }>} */
const KINDS = {
  secret: { plural: 'secrets', title: 'Secrets', hint: 'At most 16 KiB. A manifest names it in "secrets": ["<name>"]; the container reads it at /run/secrets/<name>. It is sealed under the cluster key and never shown again.' },
  config: { plural: 'configs', title: 'Configs', hint: 'UTF-8 text, at most 32 KiB. A manifest mounts it with "configs": {"/path/in/container": "<name>"}.' },
}

/** @param {string} app */
export const secretsPanel = app => valuesPanel(app, 'secret')
/** @param {string} app */
export const configsPanel = app => valuesPanel(app, 'config')

/**
 * @param {string} app
 * @param {Kind} kind
 */
function valuesPanel(app, kind) {
  const { plural, title, hint } = KINDS[kind]
  const base = `/apps/${path(app)}/${plural}`
  const id = (/** @type {string} */ what) => `${kind}-${what}`
  const list = h('div', { 'data-testid': `${plural}-list` })
  const msg = h('div', { 'data-testid': `${plural}-msg` })
  const viewer = h('div', { 'data-testid': 'config-viewer' })
  const name = h('input', { id: id('name'), placeholder: kind === 'secret' ? 'db-password' : 'app-config', required: true, autocomplete: 'off' })
  // A secret is typed blind, like a password; a config is text meant to be read.
  const value = kind === 'secret'
    ? h('input', { id: id('value'), type: 'password', autocomplete: 'new-password' })
    : h('textarea', { id: id('value'), spellcheck: 'false', class: 'short' })
  const file = h('input', { id: id('file'), type: 'file' })

  const fail = (/** @type {any} */ err) => { msg.replaceChildren(notice('bad', err.message)) }

  /** @param {SubmitEvent} ev */
  async function save(ev) {
    ev.preventDefault()
    msg.replaceChildren()
    const n = name.value.trim()
    // A chosen file wins over the field: its bytes as they are (a key file, a binary).
    const body = file.files?.[0] ?? value.value
    try {
      /** @type {Entry} */
      const e = await api('PUT', `${base}/${path(n)}`, body, { text: true })
      value.value = ''
      file.value = ''
      name.value = ''
      msg.replaceChildren(notice('ok', `Saved ${kind} ${e.name}, version ${e.version}.`))
    } catch (err) { fail(err) }
    await refresh()
  }

  /** @param {Entry} e */
  async function show(e) {
    msg.replaceChildren()
    try {
      const c = await api('GET', `${base}/${path(e.name)}`)
      viewer.replaceChildren(h('h3', {}, `${c.name}, version ${c.version}`), h('pre', { class: 'logs', 'data-testid': 'config-text' }, c.data))
    } catch (err) { fail(err) }
  }

  /** @param {Entry} e */
  const remove = e => async () => {
    msg.replaceChildren()
    try {
      await api('DELETE', `${base}/${path(e.name)}`)
      if (viewer.querySelector('h3')?.textContent?.startsWith(`${e.name},`)) viewer.replaceChildren()
      msg.replaceChildren(notice('ok', `Deleted ${kind} ${e.name}.`))
    } catch (err) { fail(err) }
    await refresh()
  }

  /** @param {Entry} e */
  const row = e => h('tr', { [`data-${kind}`]: e.name },
    h('td', {}, e.name), h('td', { class: 'version' }, e.version), h('td', { class: 'muted', title: e.updatedAt }, ago(e.updatedAt)),
    h('td', {}, h('div', { class: 'row' },
      kind === 'config' && h('button', { type: 'button', onclick: () => show(e) }, 'View'),
      twoStepButton('Delete', 'Really delete?', remove(e)))))

  async function refresh() {
    try {
      /** @type {Entry[]} */
      const entries = await api('GET', base)
      list.replaceChildren(entries.length
        ? table(['Name', 'Version', 'Updated', ''], entries.map(row))
        : h('p', { class: 'muted' }, `No ${plural}.`))
    } catch (err) {
      list.replaceChildren(notice('bad', /** @type {any} */ (err).message))
    }
  }

  const el = h('section', { 'data-testid': plural }, h('h2', {}, title), list,
    h('form', { class: 'card', 'data-testid': `${kind}-form`, onsubmit: save },
      h('label', { for: id('name') }, `New ${kind} (or a new version of one)`), name,
      h('label', { for: id('value') }, kind === 'secret' ? 'Value' : 'Text'), value,
      h('label', { for: id('file') }, 'or from a file'), file,
      h('p', { class: 'muted' }, hint),
      h('div', { class: 'row' }, h('button', { class: 'primary', type: 'submit' }, `Save ${kind}`))),
    msg, viewer)
  return { el, refresh }
}
