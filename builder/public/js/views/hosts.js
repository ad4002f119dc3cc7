// @ts-check
import { api, onChange } from '../api.js'
import { ago, h, table } from '../dom.js'

const gib = (/** @type {number} */ b) => `${(b / 1024 ** 3).toFixed(1)} GiB`

/** @param {import('../dom.js').Ctx} ctx */
export async function hostsView({ view }) {
  const body = h('div')
  view.append(h('h1', {}, 'Hosts'), body)
  async function render() {
    const hosts = await api('GET', '/hosts')
    body.replaceChildren(hosts.length
      ? table(['Host', 'Address', 'CPUs', 'Memory', 'Load (instances)', 'Engine', 'Up since'], hosts.map((/** @type {any} */ x) => h('tr', { 'data-host': x.id },
        h('td', {}, x.id), h('td', {}, x.address), h('td', {}, x.cpus), h('td', {}, gib(x.memory)),
        h('td', { class: 'load' }, x.load), h('td', {}, x.engineVersion), h('td', { class: 'muted' }, ago(x.startedAt)))))
      : h('p', { class: 'card' }, 'No live hosts. Start dokkaa-conductor on a host.'))
  }
  await render()
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer
  const off = onChange(c => {
    if (c.kind !== 'hosts') return
    clearTimeout(timer)
    timer = setTimeout(() => { render().catch(() => {}) }, 150)
  })
  return () => { off(); clearTimeout(timer) }
}
