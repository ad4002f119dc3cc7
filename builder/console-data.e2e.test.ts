// The app page's volumes, secrets and configs, and the instances' image column, in headless
// Chromium against a real dokkaa-builder process on etcd. No scheduler or conductor runs:
// the volume home, status and instance records are written into etcd as they would write
// them. As a user: open the app from the list, forget the volumes of a host that is down,
// create and rotate a secret (whose value is never in the page), create and read a config,
// delete both; another user's console lists none of it.
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import t from 'tap'
import type { InstanceRecord, StatusRecord, VolumeHomeRecord } from '../schemas/index.js'
import { PROJECT_ROOT } from '../test/support/processes.js'
import { builderProcess } from './testing.js'

const CHROMIUM = process.env.DOKKAA_CHROMIUM ?? '/usr/bin/chromium'
const SHOTS = join(PROJECT_ROOT, '.tap', 'screenshots')
const ref = { app: 'shop', name: 'web' }
const DIGEST = `sha256:${'0123456789ab'}${'c'.repeat(52)}`
const IMAGE_ID = `sha256:${'fedcba987654'}${'3'.repeat(52)}`
// Values no page may ever hold once saved.
const SECRET_1 = 'hunter2-first-value-7d1f0c'
const SECRET_2 = 'hunter2-second-value-91ab3e'

/** A page of its own (own cookies: browser.newPage makes a context), with every script and console error it has. */
async function watchedPage(browser: Browser): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 860 } })
  const errors: string[] = []
  page.on('console', m => { if (m.type() === 'error') errors.push(m.text()) })
  page.on('pageerror', e => errors.push(e.message))
  return { page, errors }
}

/** Logs in through the form and waits for the apps list. */
async function logIn(page: Page, url: string, user: string, password: string): Promise<void> {
  await page.goto(`${url}/console/`)
  await page.fill('#user', user)
  await page.fill('#password', password)
  await page.click('button[type=submit]')
  await page.waitForSelector('h1:text("Apps")')
}

t.test('the app page lists, writes and removes volumes, secrets and configs; instances show their image', async t => {
  const b = await builderProcess(t)
  const put = await fetch(`${b.url}/api/v1/apps/shop/web/manifest`, {
    method: 'PUT', headers: { ...b.root, 'content-type': 'application/json' },
    body: JSON.stringify({ image: 'dokkaa/busybox:test', scale: 3 }),
  })
  t.equal(put.status, 201)
  const now = new Date().toISOString()
  const instance = (index: number, r: Partial<InstanceRecord>) => b.kv.put(b.keys.instance({ ...ref, index }), JSON.stringify({
    host: 'h1', hostAddress: '10.0.0.1', containerId: `c${index}`, containerName: `shop---web---${index}`, state: 'running', specHash: 'a',
    ports: {}, restarts: 0, updatedAt: now, ...r,
  } satisfies InstanceRecord))
  await instance(0, { imageDigest: DIGEST, imageId: IMAGE_ID })
  await instance(1, { imageId: IMAGE_ID })
  await instance(2, { state: 'pulling', pullProgress: '3 of 5 layers, 12.0 of 40.1 MB' })
  const pulling = 'instance 2 on h1: pulling dokkaa/busybox:test: 3 of 5 layers, 12.0 of 40.1 MB'
  await b.kv.put(b.keys.status(ref), JSON.stringify({
    phase: 'Degraded', desired: 3, running: 2, revision: 1, errors: [], problems: [], pulling: [pulling],
    lastEvent: { at: now, message: 'pulling' }, updatedAt: now,
  } satisfies StatusRecord))
  // The scheduler's record of where instance db/0 keeps its data: a host with no /hosts record is down.
  const home = { app: 'shop', name: 'db', index: 0 }
  await b.kv.put(b.keys.volumeHome(home), JSON.stringify({ host: 'gone-host', since: now, volumes: ['data', 'logs'], recreatedFrom: 'older-host' } satisfies VolumeHomeRecord))

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] })
  t.teardown(() => browser.close())
  const { page, errors: consoleErrors } = await watchedPage(browser)
  await logIn(page, b.url, 'root', b.rootPassword)

  // --- the app's page, from the list
  await page.click('tr[data-app="shop/web"] [data-testid=app-link]')
  await page.waitForSelector('h1:text-is("shop")')
  await page.waitForSelector('[data-testid=manifests] tr[data-app="shop/web"]')

  // --- volumes: the home host is down, so the row offers to forget, and says where the data stays
  const vol = 'tr[data-volume="db/0"]'
  await page.waitForSelector(`${vol} [data-testid=host-down]`)
  t.match(await page.textContent(`${vol} .vhost`), /gone-host\s*down/, 'the host, marked down')
  t.match(await page.textContent(vol), /data, logs/, 'its volumes')
  t.match(await page.textContent(vol), /recreated from older-host/)
  t.equal(await page.textContent(`${vol} .vinuse`), 'no')
  t.match(await page.textContent(vol), /the data stays on gone-host's disk/)
  t.equal(await page.$(`${vol} button:text("Remove")`), null, 'no removal on a host that is down')
  await page.click(`${vol} button:text("Forget")`)
  t.ok(await b.kv.get(b.keys.volumeHome(home)), 'one click does nothing yet')
  await page.click(`${vol} button:text("Really forget?")`)
  await page.waitForSelector('[data-testid=volumes] :text("No volumes kept.")')
  t.match(await page.textContent('[data-testid=volumes-msg]'), /data stays on gone-host's disk/)
  t.equal(await b.kv.get(b.keys.volumeHome(home)), undefined, 'the record is gone from etcd')

  // --- a secret: created, then rotated; the value is never in the page
  const noValueInPage = async (what: string) => {
    const html = await page.evaluate(() => document.documentElement.outerHTML)
    t.notOk(html.includes(SECRET_1) || html.includes(SECRET_2), `${what}: no secret value in the page's HTML`)
    t.equal(await page.inputValue('#secret-value'), '', `${what}: the field is cleared`)
  }
  const saveSecret = async (value: string) => {
    await page.fill('#secret-name', 'db-password')
    await page.fill('#secret-value', value)
    await page.click('button:text("Save secret")')
  }
  await saveSecret(SECRET_1)
  await page.waitForSelector('tr[data-secret="db-password"] .version:text-is("1")')
  await noValueInPage('after the first save')
  await saveSecret(SECRET_2)
  await page.waitForSelector('tr[data-secret="db-password"] .version:text-is("2")')
  t.match(await page.textContent('[data-testid=secrets-msg]'), 'Saved secret db-password, version 2.')
  await noValueInPage('after the second save')
  const listed = await (await fetch(`${b.url}/api/v1/apps/shop/secrets`, { headers: b.root })).json() as { name: string; version: number }[]
  t.same(listed.map(s => [s.name, s.version]), [['db-password', 2]], 'the API agrees')

  // --- a config: created and read back
  const text = 'listen = 8080\n[db]\nhost = "db.shop"\n'
  await page.fill('#config-name', 'app-config')
  await page.fill('#config-value', text)
  await page.click('button:text("Save config")')
  await page.click('tr[data-config="app-config"] button:text("View")')
  await page.waitForSelector('[data-testid=config-text]')
  t.equal(await page.textContent('[data-testid=config-text]'), text, 'the config\'s text, as stored')
  t.equal(await page.inputValue('#config-value'), '', 'the form is cleared')
  await page.screenshot({ path: join(SHOTS, 'app-data.png'), fullPage: true })
  await page.setViewportSize({ width: 380, height: 800 })
  t.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'the app page fits 380 px')
  await page.setViewportSize({ width: 1200, height: 860 })

  // --- another (non-admin) user's console lists none of it: the API's 404, shown
  await b.user('bob')
  const { page: other, errors: otherErrors } = await watchedPage(browser)
  await logIn(other, b.url, 'bob', 'bob-password-for-tests')
  t.equal(await other.$('tr[data-app="shop/web"]'), null, 'bob\'s list has no shop')
  await other.goto(`${b.url}/console/#/apps/shop`)
  await other.waitForSelector('[data-testid=secrets-list] .notice.bad')
  t.match(await other.textContent('[data-testid=secrets-list]'), /no app "shop"/)
  t.match(await other.textContent('[data-testid=configs-list]'), /no app "shop"/)
  t.equal(await other.$('tr[data-secret], tr[data-config], tr[data-volume]'), null, 'nothing listed')
  // Chromium logs each 404 it was answered as a console error; those are the point here.
  t.same(otherErrors.filter(e => !/status of 404/.test(e)), [], 'no other error on bob\'s page')

  // --- delete both (a second click confirms)
  for (const [kind, name] of [['secret', 'db-password'], ['config', 'app-config']] as const) {
    await page.click(`tr[data-${kind}="${name}"] button:text("Delete")`)
    await page.click(`tr[data-${kind}="${name}"] button:text("Really delete?")`)
    await page.waitForSelector(`[data-testid=${kind}s-list] :text("No ${kind}s.")`)
    const left = await (await fetch(`${b.url}/api/v1/apps/shop/${kind}s`, { headers: b.root })).json() as unknown[]
    t.same(left, [], `no ${kind} left`)
  }
  t.equal(await page.$('[data-testid=config-text]'), null, 'the deleted config\'s text is no longer shown')

  // --- the manifest's page: each instance's image, and the pull under way in the status notes
  await page.click('[data-testid=manifests] tr[data-app="shop/web"] a[href="#/apps/shop/web"]')
  await page.waitForSelector('tr[data-instance="2"]')
  t.equal(await page.textContent('tr[data-instance="0"] [data-testid=image]'), 'sha256:0123456789ab', 'the registry digest, short')
  t.equal(await page.getAttribute('tr[data-instance="0"] [data-testid=image]', 'title'), DIGEST, 'in full as the tooltip')
  t.equal(await page.textContent('tr[data-instance="1"] [data-testid=image]'), 'id:fedcba987654', 'no digest: the local image id')
  t.equal(await page.textContent('tr[data-instance="2"] [data-testid=image]'), 'pulling: 3 of 5 layers, 12.0 of 40.1 MB')
  t.equal(await page.textContent('[data-testid=status-notes] [data-note=pulling]'), pulling, 'the status\'s pulling line')
  await page.click('[data-testid=app-link]')
  await page.waitForSelector('h1:text-is("shop")')
  t.pass('the manifest page links back to the app\'s page')

  t.same(consoleErrors, [], 'no console errors')
})
