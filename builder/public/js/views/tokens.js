// @ts-check
import { api } from '../api.js'
import { ago, h, notice, table } from '../dom.js'

/** @param {import('../dom.js').Ctx} ctx */
export async function tokensView({ view }) {
  const list = h('div')
  const shown = h('div')
  const name = h('input', { id: 'token-name', placeholder: 'what it is for, e.g. ci', maxlength: 64, required: true })
  view.append(
    h('h1', {}, 'API tokens'),
    h('form', { class: 'card', onsubmit: async (/** @type {SubmitEvent} */ ev) => {
      ev.preventDefault()
      const t = await api('POST', '/tokens', { name: name.value })
      name.value = ''
      shown.replaceChildren(notice('ok', `New token "${t.name}" — copy it now, it is shown only once: `), h('pre', { class: 'logs', 'data-testid': 'new-token' }, t.token))
      await render()
    } },
    h('label', { for: 'token-name' }, 'New token'), name,
    h('div', { class: 'row' }, h('button', { class: 'primary', type: 'submit' }, 'Create token')),
    h('p', { class: 'muted' }, 'Use it as "Authorization: Bearer <token>", or as the password of basic auth (curl -u user:<token>).')),
    shown, list)

  async function render() {
    const tokens = await api('GET', '/tokens')
    list.replaceChildren(tokens.length
      ? table(['Name', 'Id', 'Created', ''], tokens.map((/** @type {any} */ t) => h('tr', { 'data-token': t.id },
        h('td', {}, t.name), h('td', { class: 'muted' }, t.id), h('td', {}, ago(t.createdAt)),
        h('td', {}, h('button', { class: 'danger', type: 'button', onclick: async () => {
          await api('DELETE', `/tokens/${t.id}`)
          await render()
        } }, 'Revoke')))))
      : h('p', { class: 'muted' }, 'No API tokens.'))
  }
  await render()
}
