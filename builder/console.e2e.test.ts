// End to end, as a newcomer would: a real dokkaa-builder process and a real conductor
// (with its scheduler) on etcd and Docker, driven through the console in headless
// Chromium. Log in, create an app, see it run, scale, stop/start, logs, a validation
// error, revoke a token — and no console error anywhere. Screenshots go to docs/screenshots.
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Page } from 'playwright-core'
import t from 'tap'
import { LABELS, type HostRecord } from '../schemas/index.js'
import { removeContainersByLabel } from '../test/support/docker.js'
import { testEtcd } from '../test/support/etcd.js'
import { TEST_IMAGE } from '../test/support/images.js'
import { PROJECT_ROOT, startTsProcess } from '../test/support/processes.js'
import { waitFor } from '../test/support/wait-for.js'

const CHROMIUM = process.env.DOKKAA_CHROMIUM ?? '/usr/bin/chromium'
// The README's screenshots are refreshed only when asked (DOKKAA_SCREENSHOTS=docs), so a
// test run leaves the checkout clean; otherwise they go to a scratch folder under .tap/.
const SHOTS = process.env.DOKKAA_SCREENSHOTS === 'docs' ? join(PROJECT_ROOT, 'docs', 'screenshots') : join(PROJECT_ROOT, '.tap', 'screenshots')
const LONG = { timeoutMs: 90_000 }

t.test('the console drives a real cluster', async t => {
  const etcd = testEtcd(t)
  const run = randomBytes(3).toString('hex')
  const hostId = `bt-${run}`
  const app = `demo${run}`
  const dir = await mkdtemp(join(tmpdir(), 'dokkaa-console-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  t.teardown(() => removeContainersByLabel(LABELS.host, hostId))
  const passwordFile = join(dir, 'generated_password.txt')

  const builder = startTsProcess('builder/main.ts', ['--etcd', etcd.hosts.join(','), '--prefix', etcd.prefix, '--listen', '127.0.0.1:0', '--password-file', passwordFile, '--log-level', 'warn'], {}, { t })
  const urlLine = await builder.waitForLine(/console at http/, LONG)
  const base = /console at (http:\/\/[^/]+)\/console\//.exec(urlLine)![1]!
  t.match(builder.output(), new RegExp(`password is in ${passwordFile}`))
  const password = (await readFile(passwordFile, 'utf8')).trim()

  startTsProcess('conductor/main.ts', ['--etcd', etcd.hosts.join(','), '--prefix', etcd.prefix, '--host-id', hostId, '--host-address', '127.0.0.1', '--ambassador-address', 'none', '--log-level', 'warn'], {}, { t })

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  t.teardown(() => browser.close())
  const page = await browser.newPage({ viewport: { width: 1200, height: 860 } })
  const consoleErrors: string[] = []
  page.on('console', m => { if (m.type() === 'error') consoleErrors.push(m.text()) })
  page.on('pageerror', e => consoleErrors.push(e.message))
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })

  // --- log in with the printed password
  await page.goto(`${base}/`)
  await page.waitForSelector('#password')
  await shot('login')
  await page.fill('#user', 'root')
  await page.fill('#password', password)
  await page.click('button[type=submit]')
  await page.waitForSelector('h1:text("Apps")')
  await waitFor(async () => (await (await fetch(`${base}/api/v1/hosts`, { headers: { authorization: `Basic ${Buffer.from(`root:${password}`).toString('base64')}` } })).json() as unknown[]).length > 0, { ...LONG, what: 'the conductor registered' })

  // --- a name that breaks the rule: the builder's 400 is shown next to the field
  await page.click('a[href="#/new"] >> nth=0')
  await page.fill('#app', 'Bad--Name')
  await page.fill('#name', 'web')
  await page.fill('#image', TEST_IMAGE)
  await page.waitForSelector('button[type=submit]:not([disabled])')
  const errorsBefore = consoleErrors.length
  await page.click('button[type=submit]')
  await page.waitForSelector('[data-testid=new-app-msg] .notice.bad')
  t.match(await page.textContent('[data-testid=new-app-msg]'), /app "Bad--Name" is not allowed: use a lowercase DNS label/, "the server's message, naming the rule")
  t.equal(await page.getAttribute('#app', 'aria-invalid'), 'true', 'the app field is marked')
  // Chromium logs the 400 itself as a console error; that one is expected here.
  consoleErrors.splice(errorsBefore, consoleErrors.length - errorsBefore, ...consoleErrors.slice(errorsBefore).filter(e => !/status of 400/.test(e)))

  // --- create an app; its manifest is validated as it is typed
  await page.fill('#app', app)
  await page.fill('#name', 'web')
  await page.fill('#image', TEST_IMAGE)
  await page.fill('#command', "sh -c 'echo hello from the console; exec httpd -f -p 80 -h /www'")
  await page.fill('#services', 'web=80')
  await page.waitForSelector('button[type=submit]:not([disabled])')
  await shot('new-app')
  await page.click('button[type=submit]')
  await page.waitForSelector(`h1:text("${app}/web")`)

  const instanceStates = (p: Page) => p.$$eval('tr[data-instance] .istate .state', els => els.map(e => e.getAttribute('data-state')))
  await waitFor(async () => (await instanceStates(page)).join() === 'running', { ...LONG, what: 'instance 0 running in the console' })
  await page.waitForSelector('[data-testid=phase] .state.Running', { timeout: 90_000 })
  t.pass('the app runs, and the page updated itself')

  // --- scale up and down
  await page.click('[data-testid=scale-up]')
  await waitFor(async () => (await instanceStates(page)).join() === 'running,running', { ...LONG, what: 'two instances running' })
  t.equal(await page.textContent('[data-testid=scale]'), '2')
  await shot('app')
  await page.click('[data-testid=scale-down]')
  await waitFor(async () => (await instanceStates(page)).join() === 'running', { ...LONG, what: 'back to one instance' })

  // --- stop and start
  await page.click('button[data-verb=stop]')
  await waitFor(async () => !(await instanceStates(page)).includes('running'), { ...LONG, what: 'stopped' })
  await page.click('button[data-verb=start]')
  await waitFor(async () => (await instanceStates(page)).join() === 'running', { ...LONG, what: 'running again' })
  t.pass('stop and start')

  // --- logs that follow (needs the conductor's agent API: HostRecord.agentUrl)
  const host = JSON.parse((await etcd.client.get(`${etcd.prefix}/hosts/${hostId}`).string()) ?? '{}') as HostRecord
  if (host.agentUrl) {
    await page.click('tr[data-instance="0"] button:text("Logs")')
    await page.waitForFunction(() => document.querySelector('[data-testid=logs]')?.textContent?.includes('hello from the console'), undefined, { timeout: 60_000 })
    t.pass('logs shown')
  } else {
    t.ok(true, 'logs in the browser', { skip: 'this conductor publishes no agentUrl yet' })
  }

  // --- a validation error, inline, before saving
  const good = await page.inputValue('#manifest')
  await page.fill('#manifest', good.replace(/"scale": \d+/, '"scale": "many"'))
  await page.waitForSelector('[data-testid=manifest-errors] li')
  t.match(await page.textContent('[data-testid=manifest-errors]'), /\/scale/)
  t.ok(await page.isDisabled('button:text("Save manifest")'), 'cannot save an invalid manifest')
  await shot('validation-error')
  await page.fill('#manifest', good)
  await page.waitForSelector('button:text("Save manifest"):not([disabled])')

  // --- apps and hosts pages
  await page.click('nav a[href="#/apps"]')
  await page.waitForSelector(`tr[data-app="${app}/web"] .state.Running`)
  await shot('apps')
  await page.click('nav a[href="#/hosts"]')
  await page.waitForSelector(`tr[data-host="${hostId}"]`)
  await shot('hosts')

  // --- tokens: create, use, revoke
  await page.click('nav a[href="#/tokens"]')
  await page.fill('#token-name', 'laptop')
  await page.click('button:text("Create token")')
  const token = (await page.textContent('[data-testid=new-token]'))!.trim()
  const me = async () => (await fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status
  t.equal(await me(), 200)
  await shot('tokens')
  await page.click('tr[data-token] button:text("Revoke")')
  await page.waitForSelector('text=No API tokens.')
  t.equal(await me(), 401, 'a revoked token no longer works')

  // --- a narrow window: nothing spills sideways
  await page.setViewportSize({ width: 380, height: 800 })
  await page.goto(`${base}/console/#/apps/${app}/web`)
  await page.waitForSelector(`h1:text("${app}/web")`)
  t.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'fits 380 px')
  await shot('app-narrow')

  t.same(consoleErrors, [], 'no console errors')

  // --- clean up through the API: the conductor removes the containers
  const del = await fetch(`${base}/api/v1/apps/${app}/web`, { method: 'DELETE', headers: { authorization: `Basic ${Buffer.from(`root:${password}`).toString('base64')}` } })
  t.equal(del.status, 204)
})
