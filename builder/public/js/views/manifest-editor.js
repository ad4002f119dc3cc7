// @ts-check
// A manifest textarea that validates as you type (POST /validate, debounced) and shows
// every schema error inline with its JSON path; onValid tells the caller whether saving is allowed.
import { api } from '../api.js'
import { errorList, h } from '../dom.js'

/** @param {{ id: string, text: string, onValid?: (ok: boolean) => void }} opts */
export function manifestEditor({ id, text, onValid }) {
  const area = h('textarea', { id, spellcheck: 'false', 'aria-describedby': `${id}-errors` })
  area.value = text
  const errors = h('div', { id: `${id}-errors` })
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer
  let seq = 0
  let dirty = false

  async function check() {
    const mine = ++seq
    const r = await api('POST', '/validate', area.value, { text: true })
    if (mine !== seq) return r
    area.classList.toggle('invalid', !r.ok)
    errors.replaceChildren(r.ok ? '' : errorList(r.errors))
    onValid?.(r.ok)
    return r
  }
  area.addEventListener('input', () => {
    dirty = true
    onValid?.(false)
    clearTimeout(timer)
    timer = setTimeout(() => { check().catch(() => {}) }, 250)
  })
  void check().catch(() => {})
  return {
    el: h('div', {}, area, errors),
    get text() { return area.value },
    get dirty() { return dirty },
    /** @param {string} text */
    set(text) { area.value = text; dirty = false; void check().catch(() => {}) },
    check,
    /** @param {{ path?: string, message: string }[]} list */
    showErrors(list) { area.classList.add('invalid'); errors.replaceChildren(errorList(list)) },
  }
}
