// Time from a manifest saved in the console to its instance shown running in the console,
// beside the same path without a browser (API PUT → instance record "running" in etcd),
// measured in the same run, alternating, against a real dokkaa-builder process, a real
// conductor (with its scheduler), etcd, Docker and headless Chromium.
//   node --import tsx bench/builder-console-bench.ts [--runs 10]
// Each run creates a fresh app (busybox httpd, one instance), measures, deletes it and waits
// until its container is gone, so runs do not overlap. One warm-up pair is not counted.
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { Etcd3 } from 'etcd3'
import { chromium, type Browser, type Page } from 'playwright-core'
import { KeyLayout, LABELS, type InstanceRecord } from '../schemas/index.js'
import { removeContainersByLabel } from '../test/support/docker.js'
import { etcdHosts, uniquePrefix } from '../test/support/etcd.js'
import { TEST_IMAGE } from '../test/support/images.js'
import { startTsProcess, type StartedProcess } from '../test/support/processes.js'
import { waitFor } from '../test/support/wait-for.js'
import { ms, percentile, printTable } from './stats.js'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' } } })
const runs = Number(values.runs)
const CHROMIUM = process.env['DOKKAA_CHROMIUM'] ?? '/usr/bin/chromium'
const LONG = { timeoutMs: 90_000 }

const hosts = etcdHosts()
const client = new Etcd3({ hosts })
const keys = new KeyLayout(uniquePrefix('bench-console'))
const run = randomBytes(3).toString('hex')
const hostId = `bcb-${run}`
const dir = await mkdtemp(join(tmpdir(), 'dokkaa-console-bench-'))
const started: StartedProcess[] = []
let browser: Browser | undefined

/** Resolves as soon as the page's instances table says instance 0 is running (a MutationObserver, no polling). */
function untilShownRunning(p: Page): Promise<void> {
  // A string, not a function: tsx's transform would wrap a named function in a helper the page lacks.
  return p.evaluate(`new Promise(resolve => {
    const shown = () => document.querySelector('tr[data-instance="0"] .istate .state')?.getAttribute('data-state') === 'running'
    if (shown()) return resolve()
    const observer = new MutationObserver(() => { if (shown()) { observer.disconnect(); resolve() } })
    observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true })
  })`)
}

/** Resolves with the time (performance.now) the instance record first says running. */
async function whenRunning(app: string): Promise<{ at: Promise<number>; cancel: () => Promise<void> }> {
  const watcher = await client.watch().prefix(keys.instancesOf({ app, name: 'web' })).create()
  const at = new Promise<number>(resolve => {
    watcher.on('put', kv => {
      const rec = JSON.parse(kv.value.toString()) as InstanceRecord
      if (rec.state === 'running') resolve(performance.now())
    })
  })
  return { at, cancel: () => watcher.cancel() }
}

try {
  const passwordFile = join(dir, 'generated_password.txt')
  const builder = startTsProcess('builder/main.ts', ['--etcd', hosts.join(','), '--prefix', keys.prefix, '--listen', '127.0.0.1:0', '--password-file', passwordFile, '--log-level', 'warn'])
  started.push(builder)
  const base = /console at (http:\/\/[^/]+)\/console\//.exec(await builder.waitForLine(/console at http/, LONG))![1]!
  const password = (await readFile(passwordFile, 'utf8')).trim()
  const auth = { authorization: `Basic ${Buffer.from(`root:${password}`).toString('base64')}` }
  started.push(startTsProcess('conductor/main.ts', ['--etcd', hosts.join(','), '--prefix', keys.prefix, '--host-id', hostId, '--host-address', '127.0.0.1', '--ambassador-address', 'none', '--log-level', 'warn']))
  await waitFor(async () => ((await (await fetch(`${base}/api/v1/hosts`, { headers: auth })).json()) as unknown[]).length > 0, { ...LONG, what: 'the conductor registered' })

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  const page = await browser.newPage({ viewport: { width: 1200, height: 860 } })
  const consoleErrors: string[] = []
  page.on('console', m => { if (m.type() === 'error') consoleErrors.push(m.text()) })
  page.on('pageerror', e => consoleErrors.push(e.message))
  await page.goto(`${base}/`)
  await page.fill('#user', 'root')
  await page.fill('#password', password)
  await page.click('button[type=submit]')
  await page.waitForSelector('h1:text("Apps")')

  const manifest = { image: TEST_IMAGE, scale: 1, services: { web: 80 } }

  /** Console: fill the New app form, click Create, until the instances table says running. */
  const viaConsole = async (p: Page, app: string) => {
    await p.goto(`${base}/console/#/new`)
    await p.fill('#app', app)
    await p.fill('#name', 'web')
    await p.fill('#image', manifest.image)
    await p.fill('#services', 'web=80')
    await p.waitForSelector('button[type=submit]:not([disabled])')
    const etcdRunning = await whenRunning(app)
    const t0 = performance.now()
    await p.click('button[type=submit]')
    await untilShownRunning(p)
    const shown = performance.now() - t0
    const inEtcd = (await etcdRunning.at) - t0
    await etcdRunning.cancel()
    // Leave the app's page before it is deleted, so the page does not re-read a deleted app.
    await p.goto(`${base}/console/#/apps`)
    await p.waitForSelector('h1:text("Apps")')
    return { shown, inEtcd }
  }

  /** Baseline: PUT the same manifest through the API, until etcd's instance record says running. */
  const viaApi = async (app: string) => {
    const etcdRunning = await whenRunning(app)
    const t0 = performance.now()
    const res = await fetch(`${base}/api/v1/apps/${app}/web/manifest`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(manifest) })
    if (res.status !== 201) throw new Error(`PUT ${app}: ${res.status} ${await res.text()}`)
    const inEtcd = (await etcdRunning.at) - t0
    await etcdRunning.cancel()
    return inEtcd
  }

  const remove = async (app: string) => {
    const res = await fetch(`${base}/api/v1/apps/${app}/web`, { method: 'DELETE', headers: auth })
    if (res.status !== 204) throw new Error(`DELETE ${app}: ${res.status}`)
    await waitFor(async () => (await client.getAll().prefix(keys.instancesOf({ app, name: 'web' })).keys()).length === 0, { ...LONG, what: `${app} removed` })
  }

  const shown: number[] = []
  const consoleEtcd: number[] = []
  const api: number[] = []
  for (let i = -1; i < runs; i++) {
    const c = await viaConsole(page, `cb${run}c${i + 1}`)
    await remove(`cb${run}c${i + 1}`)
    const a = await viaApi(`cb${run}a${i + 1}`)
    await remove(`cb${run}a${i + 1}`)
    if (i < 0) continue // warm-up: first page loads, first container of the image
    shown.push(c.shown)
    consoleEtcd.push(c.inEtcd)
    api.push(a)
    process.stderr.write(`run ${i + 1}/${runs}: console ${c.shown.toFixed(0)} ms (etcd ${c.inEtcd.toFixed(0)} ms), API ${a.toFixed(0)} ms\n`)
  }
  const lag = shown.map((s, i) => s - consoleEtcd[i]!)
  const row = (name: string, xs: number[]) => [name, String(xs.length), ms(percentile(xs, 50)), ms(percentile(xs, 99)), ms(Math.max(...xs))]
  printTable(`manifest saved → instance running (${runs} runs each, alternating, 1 host)`, ['path', 'runs', 'p50', 'p99', 'max'], [
    row('console: Create clicked → "running" shown in the instances table', shown),
    row('  of which: → instance record running in etcd', consoleEtcd),
    row('  of which: etcd → shown (SSE, re-render)', lag),
    row('baseline: API PUT → instance record running in etcd (no browser)', api),
  ])
  if (consoleErrors.length) console.log(`\nbrowser console errors: ${consoleErrors.join(' | ')}`)
} finally {
  await browser?.close().catch(() => undefined)
  for (const p of started.reverse()) await p.stop()
  await removeContainersByLabel(LABELS.host, hostId).catch(() => undefined)
  await client.delete().prefix(`${keys.prefix}/`).catch(() => undefined)
  client.close()
  await rm(dir, { recursive: true, force: true })
}
