// @ts-check
// Create an app: name, image, command, scale, services; the manifest it makes is validated live.
import { api, path } from '../api.js'
import { h, notice } from '../dom.js'
import { manifestEditor } from './manifest-editor.js'

/** @param {string} text */
function parseServices(text) {
  /** @type {Record<string, number>} */
  const out = {}
  for (const part of text.split(/[,\s]+/).filter(Boolean)) {
    const [name, port] = part.split(/[=:]/)
    out[name] = Number(port)
  }
  return out
}

/** @param {import('../dom.js').Ctx} ctx */
export function newAppView({ view, go }) {
  /**
   * @param {string} id
   * @param {string} label
   * @param {Record<string, any>} [attrs]
   */
  const field = (id, label, attrs = {}) => {
    const input = h('input', { id, name: id, ...attrs })
    return { input, el: h('div', {}, h('label', { for: id }, label), input) }
  }
  // No pattern here: the builder checks names by the contract's one rule, and its 400 says
  // the rule and the fix; the page shows that answer next to the field.
  const app = field('app', 'App', { placeholder: 'dummy', required: true, 'aria-describedby': 'new-app-msg' })
  const name = field('name', 'Name (one manifest of the app)', { placeholder: 'nginx', required: true, 'aria-describedby': 'new-app-msg' })
  const image = field('image', 'Image', { placeholder: 'dokkaa/busybox:test', required: true })
  const command = field('command', 'Command (optional; overrides the image\'s)', { placeholder: 'httpd -f -p 80 -h /www' })
  const scale = field('scale', 'Scale', { type: 'number', min: 0, max: 1000, value: 1 })
  const services = field('services', 'Services (name=port, comma separated)', { placeholder: 'web=80' })
  const msg = h('div', { id: 'new-app-msg', 'data-testid': 'new-app-msg' })
  const save = h('button', { class: 'primary', type: 'submit', disabled: true }, 'Create')

  const build = () => {
    /** @type {Record<string, unknown>} */
    const m = { image: image.input.value.trim() }
    if (scale.input.value !== '') m.scale = Number(scale.input.value)
    if (command.input.value.trim()) m.command = command.input.value.trim()
    if (services.input.value.trim()) m.services = parseServices(services.input.value)
    return JSON.stringify(m, null, 2)
  }
  const editor = manifestEditor({ id: 'new-manifest', text: build(), onValid: ok => { save.disabled = !ok } })
  for (const f of [image, command, scale, services]) f.input.addEventListener('input', () => editor.set(build()))

  view.append(h('h1', {}, 'New app'), h('form', { class: 'card', onsubmit: async (/** @type {SubmitEvent} */ ev) => {
    ev.preventDefault()
    msg.replaceChildren()
    for (const f of [app, name]) f.input.removeAttribute('aria-invalid')
    const a = app.input.value.trim()
    const n = name.input.value.trim() || a
    try {
      await api('PUT', `/apps/${path(a, n)}/manifest`, editor.text, { text: true })
      go(`#/apps/${encodeURIComponent(a)}/${encodeURIComponent(n)}`)
    } catch (/** @type {any} */ err) {
      if (err.code === 'DKA_BUILDER_INVALID_MANIFEST') editor.showErrors(err.details.errors)
      // DKA_BUILDER_INVALID_NAME: details.errors names the field (/app or /name) and the rule.
      if (err.code === 'DKA_BUILDER_INVALID_NAME') {
        for (const e of err.details?.errors ?? []) (e.path === '/app' ? app : name).input.setAttribute('aria-invalid', 'true')
      }
      msg.replaceChildren(notice('bad', err.message))
    }
  } }, app.el, name.el, image.el, command.el, scale.el, services.el,
  h('label', { for: 'new-manifest' }, 'Manifest (edit freely: every field of the schema works)'), editor.el,
  msg, h('div', { class: 'row' }, save)))
}
