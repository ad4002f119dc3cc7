// @ts-check
// The console's router: #/login, #/apps, #/apps/<app>, #/apps/<app>/<name>, #/new, #/hosts, #/tokens.
// Each view renders into <main> and returns a cleanup (live subscriptions, log streams).
import { api, closeEvents } from './api.js'
import { appView } from './views/app.js'
import { appHomeView } from './views/app-home.js'
import { appsView } from './views/apps.js'
import { hostsView } from './views/hosts.js'
import { loginView } from './views/login.js'
import { newAppView } from './views/new-app.js'
import { tokensView } from './views/tokens.js'

/** The page's fixed elements (index.html) are always there. */
const byId = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id))
const view = byId('view')
const nav = byId('nav')
/** @type {() => void} */
let cleanup = () => {}
/** @type {any} */
let me

async function whoami() {
  try {
    const s = await api('GET', '/session')
    me = s.authenticated ? s : undefined
  } catch { me = undefined }
  nav.hidden = !me
  byId('whoami').textContent = me ? `${me.user}${me.admin ? ' (admin)' : ''}` : ''
  return me
}

async function route() {
  cleanup()
  cleanup = () => {}
  view.replaceChildren()
  const hash = location.hash.replace(/^#/, '') || '/apps'
  if (!me && !(await whoami()) && hash !== '/login') { location.hash = '#/login'; return }
  const parts = hash.split('/').filter(Boolean).map(decodeURIComponent)
  /** @type {import('./dom.js').Ctx} */
  const ctx = { view, me, go: h => { location.hash = h } }
  /** @type {void | Promise<void | (() => void)>} */
  let done
  if (parts[0] === 'login') done = loginView(ctx, async () => { await whoami(); location.hash = '#/apps' })
  else if (parts[0] === 'apps' && parts.length === 2) done = appHomeView(ctx, parts[1])
  else if (parts[0] === 'apps' && parts.length === 3) done = appView(ctx, parts[1], parts[2])
  else if (parts[0] === 'new') done = newAppView(ctx)
  else if (parts[0] === 'hosts') done = hostsView(ctx)
  else if (parts[0] === 'tokens') done = tokensView(ctx)
  else done = appsView(ctx)
  cleanup = (await done) ?? (() => {})
}

byId('logout').addEventListener('click', async () => {
  await api('POST', '/logout').catch(() => {})
  closeEvents()
  me = undefined
  nav.hidden = true
  location.hash = '#/login'
})
window.addEventListener('dokkaa:unauthorized', () => {
  if (location.hash === '#/login') return
  closeEvents()
  me = undefined
  nav.hidden = true
  location.hash = '#/login'
})
window.addEventListener('hashchange', () => { void route() })
void route()
