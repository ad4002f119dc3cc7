// The console shows rollouts and instance health, in headless Chromium against a real
// dokkaa-builder process on etcd. No scheduler or conductor runs: the test writes the status
// (with its rollout) and the instance records into etcd as they would, and checks what a
// user sees — the rollout's revisions, progress and state, an unhealthy instance's reason —
// and that the page follows a live change without a reload.
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import t from 'tap'
import type { InstanceRecord, RolloutStatus, StatusRecord } from '../schemas/index.js'
import { PROJECT_ROOT } from '../test/support/processes.js'
import { builderProcess } from './testing.js'

const CHROMIUM = process.env.DOKKAA_CHROMIUM ?? '/usr/bin/chromium'
// As in console.e2e.test.ts: docs/screenshots only when asked (DOKKAA_SCREENSHOTS=docs).
const SHOTS = process.env.DOKKAA_SCREENSHOTS === 'docs' ? join(PROJECT_ROOT, 'docs', 'screenshots') : join(PROJECT_ROOT, '.tap', 'screenshots')
const ref = { app: 'shop', name: 'web' }

t.test('the app page shows the rollout and why an instance is unhealthy', async t => {
  const b = await builderProcess(t)
  const put = await fetch(`${b.url}/api/v1/apps/shop/web/manifest`, {
    method: 'PUT', headers: { ...b.root, 'content-type': 'application/json' },
    body: JSON.stringify({ image: 'dokkaa/busybox:test', scale: 3, services: { web: 80 }, health: { http: '/healthz' } }),
  })
  t.equal(put.status, 201)
  const revision = (await put.json() as { revision: number }).revision
  const now = new Date().toISOString()
  const rollout = (r: Partial<RolloutStatus>): RolloutStatus => ({
    state: 'rolling', from: { revision: 12, specHash: 'a' }, to: { revision, specHash: 'b' }, updated: 1, total: 3, startedAt: now, ...r,
  })
  const status = (s: Partial<StatusRecord>) => b.kv.put(b.keys.status(ref), JSON.stringify({
    phase: 'Updating', desired: 3, running: 3, revision, validRevision: 12, errors: [], problems: [], lastEvent: { at: now, message: 'rolling update' }, updatedAt: now, ...s,
  }))
  const instance = (index: number, r: Partial<InstanceRecord>) => b.kv.put(b.keys.instance({ ...ref, index }), JSON.stringify({
    host: 'h1', hostAddress: '10.0.0.1', containerId: `c${index}`, containerName: `shop---web---${index}`, state: 'running', specHash: 'b',
    ports: { web: 20000 + index }, restarts: 0, updatedAt: now, ...r,
  }))
  await status({ rollout: rollout({}) })
  await instance(0, { health: 'healthy', healthySince: now })
  await instance(1, { health: 'unhealthy', healthError: 'GET /healthz: 503' })
  await instance(2, {})

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] })
  t.teardown(() => browser.close())
  const page = await browser.newPage({ viewport: { width: 1200, height: 860 } })
  const consoleErrors: string[] = []
  page.on('console', m => { if (m.type() === 'error') consoleErrors.push(m.text()) })
  page.on('pageerror', e => consoleErrors.push(e.message))

  await page.goto(`${b.url}/console/`)
  await page.fill('#user', 'root')
  await page.fill('#password', b.rootPassword)
  await page.click('button[type=submit]')
  await page.waitForSelector('h1:text("Apps")')
  await page.waitForSelector('tr[data-app="shop/web"] .state.Updating')
  t.match(await page.textContent('tr[data-app="shop/web"] .counts'), /updating 1\/3/, 'the list says a rollout is under way')

  await page.goto(`${b.url}/console/#/apps/shop/web`)
  await page.waitForSelector('[data-testid=rollout]:not([hidden])')
  t.equal(await page.textContent('[data-testid=rollout-revisions]'), `revision 12 → ${revision}`)
  t.equal(await page.textContent('[data-testid=rollout-progress]'), '1/3 updated')
  t.equal(await page.getAttribute('[data-testid=rollout-state] .state', 'data-state'), 'rolling')

  const health = await page.$$eval('tr[data-instance] td.ihealth', tds => tds.map(td => td.getAttribute('data-health')))
  t.same(health, ['healthy', 'unhealthy', ''], 'each instance\'s health; none without a check')
  t.equal(await page.textContent('tr[data-instance="1"] [data-testid=health-error]'), 'GET /healthz: 503', 'the failing check is shown')
  t.equal(await page.getAttribute('tr[data-instance="1"] .health', 'title'), 'GET /healthz: 503', 'and is the tooltip')
  t.equal(await page.$('tr[data-instance="0"] [data-testid=health-error]'), null, 'a healthy instance shows no error')

  // The scheduler rolls back: the page follows the live status, no reload.
  await status({ phase: 'RolledBack', rollout: rollout({ state: 'rolled-back', updated: 0, reason: 'instance 1 unhealthy: GET /healthz: 503', endedAt: now }) })
  await page.waitForSelector('[data-testid=rollout-state] .state[data-state="rolled-back"]')
  t.match(await page.textContent('[data-testid=rollout] .notice.bad'), 'Back on revision 12: instance 1 unhealthy: GET /healthz: 503')
  t.equal(await page.textContent('[data-testid=rollout-progress]'), '0/3 updated')
  await page.waitForSelector('[data-testid=phase] .state.RolledBack')
  await page.screenshot({ path: join(SHOTS, 'rollout.png'), fullPage: true })
  // An instance turning healthy: the table re-reads itself.
  await instance(1, { health: 'healthy', healthySince: now })
  await page.waitForSelector('tr[data-instance="1"] td.ihealth[data-health="healthy"]')
  t.equal(await page.$('tr[data-instance="1"] [data-testid=health-error]'), null, 'the reason goes with the failure')

  // The scheduler's problems and warnings (a volume host down; an instance recreated empty) are shown as it wrote them.
  const waits = 'instance 2 waits for its volumes (data) on host h3, which is down; set "volumeFailover": "recreate" to start it elsewhere with empty volumes'
  const recreated = 'instance 1 started on h2 with empty volumes (data); its data stays on h4'
  await status({ phase: 'Degraded', problems: [waits], warnings: [recreated] })
  await page.waitForSelector('[data-testid=status-notes] .notice.warn')
  t.equal(await page.textContent('[data-testid=status-notes] .notice.bad'), waits, 'a problem, as an alert')
  t.equal(await page.textContent('[data-testid=status-notes] .notice.warn'), recreated, 'a warning')

  // A narrow window: nothing spills sideways.
  await page.setViewportSize({ width: 380, height: 800 })
  t.ok(await page.evaluate(() => document.querySelector('[data-testid=rollout]')!.scrollWidth <= window.innerWidth), 'the rollout card fits 380 px')
  t.same(consoleErrors, [], 'no console errors')
})
