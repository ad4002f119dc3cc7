// @ts-check
import { api } from '../api.js'
import { h, notice } from '../dom.js'

/**
 * @param {import('../dom.js').Ctx} ctx
 * @param {() => Promise<void>} onLoggedIn
 */
export function loginView({ view }, onLoggedIn) {
  const user = h('input', { id: 'user', name: 'user', autocomplete: 'username', value: 'root', required: true })
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true })
  const msg = h('div')
  const form = h('form', { class: 'card login', onsubmit: async (/** @type {SubmitEvent} */ ev) => {
    ev.preventDefault()
    msg.replaceChildren()
    try {
      await api('POST', '/login', { user: user.value, password: password.value }, { quiet401: true })
      await onLoggedIn()
    } catch (/** @type {any} */ err) {
      msg.replaceChildren(notice('bad', err.message))
    }
  } },
  h('h1', {}, 'Log in to Dokkaa'),
  h('label', { for: 'user' }, 'User'), user,
  h('label', { for: 'password' }, 'Password'), password,
  h('p', { class: 'muted' }, 'First start: the root password is in the file the builder printed (generated_password.txt).'),
  msg,
  h('div', { class: 'row' }, h('button', { class: 'primary', type: 'submit' }, 'Log in')))
  view.append(form)
  password.focus()
}
