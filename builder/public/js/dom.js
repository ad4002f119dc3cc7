// @ts-check
// Tiny DOM helpers: elements are built with textContent, never innerHTML, so nothing a
// user typed (app names, manifest text, logs) is ever parsed as HTML.
/** @typedef {{ view: HTMLElement, me: any, go: (hash: string) => void }} Ctx  what every view gets */
/** @typedef {Node | string | number | boolean | null | undefined} Child */

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, any>} [attrs]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v)
    else if (k === 'class') el.className = v
    else if (v === true) el.setAttribute(k, '')
    else el.setAttribute(k, String(v))
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue
    el.append(c instanceof Node ? c : document.createTextNode(String(c)))
  }
  return el
}

/** @param {string | undefined} state */
export function stateBadge(state) {
  return h('span', { class: `state ${state ?? ''}`, 'data-state': state ?? '' }, state ?? 'unknown')
}

/**
 * @param {string[]} headers
 * @param {Child | Child[]} rows
 */
export function table(headers, rows) {
  return h('div', { class: 'table-wrap' },
    h('table', {}, h('thead', {}, h('tr', {}, headers.map(x => h('th', {}, x)))), h('tbody', {}, rows)))
}

/**
 * @param {'ok' | 'warn' | 'bad'} kind
 * @param {string} text
 */
export function notice(kind, text) {
  return h('div', { class: `notice ${kind}`, role: kind === 'bad' ? 'alert' : 'status' }, text)
}

/** @param {{ path?: string, message: string }[]} errors */
export function errorList(errors) {
  return h('ul', { class: 'errors', 'data-testid': 'manifest-errors' },
    errors.map(e => h('li', {}, h('code', {}, e.path || '/'), ' ', e.message)))
}

/** @param {string | undefined} iso */
export function ago(iso) {
  if (!iso) return ''
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000))
  if (s < 60) return `${s}s ago`
  if (s < 3600) return `${Math.round(s / 60)}m ago`
  if (s < 86400) return `${Math.round(s / 3600)}h ago`
  return `${Math.round(s / 86400)}d ago`
}

/**
 * A button that acts only on a second click: the first turns it into `really` for a few
 * seconds. Removing data cannot be undone, and a blocking confirm() would stall the page's
 * live updates (and automated tests) while it is open.
 * @param {string} label
 * @param {string} really
 * @param {() => void | Promise<void>} act
 * @param {Record<string, any>} [attrs]
 */
export function twoStepButton(label, really, act, attrs = {}) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer
  const btn = h('button', { class: 'danger', type: 'button', ...attrs }, label)
  btn.addEventListener('click', () => {
    if (!btn.dataset.armed) {
      btn.dataset.armed = 'true'
      btn.textContent = really
      timer = setTimeout(() => { delete btn.dataset.armed; btn.textContent = label }, 5000)
      return
    }
    clearTimeout(timer)
    delete btn.dataset.armed
    btn.textContent = label
    btn.disabled = true
    Promise.resolve(act()).finally(() => { btn.disabled = false })
  })
  return btn
}
