// health, update, stopSignal and stopGracePeriod: what a user may write, the errors that
// name the field and the fix, and what the conductor is told to run.
import t from 'tap'
import { containerSpec, specHash } from './spec-hash.js'
import { healthVerdictWithinMs, resolveHealthCheck } from './health.js'
import { resolveUpdate, stopGraceMs, UPDATE_DEFAULTS } from './update.js'
import { validateManifest } from './validate-manifest.js'

const web = { image: 'nginx', services: { web: { port: 80, role: 'web' }, admin: 9000 } }

function errorsOf(doc: object): { path: string; message: string }[] {
  const r = validateManifest(doc)
  return r.ok ? [] : r.errors
}

t.test('the spellings of a check resolve to what the conductor runs', async t => {
  const check = (health: object, services: object = web.services) => {
    const r = validateManifest({ image: 'nginx', services, health })
    if (!r.ok) throw new Error(JSON.stringify(r.errors))
    return resolveHealthCheck(containerSpec(r.manifest))
  }
  t.match(check({ http: '/healthz' }), { kind: 'http', path: '/healthz', service: 'web', containerPort: 80, intervalMs: 5000, timeoutMs: 2000, retries: 3, startPeriodMs: 0 })
  t.match(check({ http: { path: '/ready', port: 'admin' } }), { kind: 'http', path: '/ready', service: 'admin', containerPort: 9000 })
  t.match(check({ http: { path: '/ready', port: 9000 } }), { kind: 'http', service: 'admin' })
  t.match(check({ tcp: 'web', interval: '1s', timeout: '500ms', retries: 2, startPeriod: '1m' }), { kind: 'tcp', containerPort: 80, intervalMs: 1000, timeoutMs: 500, retries: 2, startPeriodMs: 60_000 })
  t.match(check({ cmd: ['pg_isready', '-q'] }), { kind: 'cmd', cmd: ['pg_isready', '-q'] })
  t.match(check({ http: '/' }, { only: 8080 }), { service: 'only', containerPort: 8080 }, 'the one service is the default')
  t.equal(healthVerdictWithinMs(check({ tcp: 80, interval: '1s', timeout: '1s', retries: 3, startPeriod: '2s' })!), 8000)
  t.equal(resolveHealthCheck({ services: {} }), undefined)
})

t.test('mistakes name the field and the fix', async t => {
  t.match(errorsOf({ ...web, health: {} }), [{ path: '/health', message: /exactly one of http, tcp or cmd \(found none\)/ }])
  t.match(errorsOf({ ...web, health: { http: '/a', tcp: 80 } }), [{ path: '/health', message: /found http, tcp/ }])
  t.match(errorsOf({ ...web, health: { tcp: 'db' } }), [{ path: '/health/tcp', message: /"db" is not a service of this manifest.*web \(80\), admin \(9000\)/ }])
  t.match(errorsOf({ ...web, health: { tcp: 81 } }), [{ path: '/health/tcp', message: /81 is not a service/ }])
  t.match(errorsOf({ image: 'nginx', services: { a: 1, b: 2 }, health: { http: '/x' } }), [{ path: '/health/http', message: /say which service to check/ }])
  t.match(errorsOf({ image: 'nginx', health: { http: '/x' } }), [{ path: '/health/http', message: /needs a published service/ }])
  t.match(errorsOf({ image: 'nginx', services: { dns: { port: 53, protocol: 'udp' } }, health: { tcp: 'dns' } }), [{ path: '/health/tcp', message: /udp/ }])
  t.match(errorsOf({ ...web, health: { http: 'healthz' } }), [{ path: '/health/http', message: /starts with "\/"/ }])
  t.match(errorsOf({ ...web, health: { tcp: 80, interval: '5' } }), [{ path: '/health/interval', message: /a duration like "5s"/ }])
  t.match(errorsOf({ ...web, health: { tcp: 80, interval: '10ms' } }), [{ path: '/health/interval', message: /at least 100ms/ }])
  t.match(errorsOf({ ...web, health: { tcp: 80, retry: 3 } }), [{ path: '/health/retry', message: /unknown field "retry"; allowed: http, tcp, cmd, interval, timeout, retries, startPeriod/ }])
  t.match(errorsOf({ ...web, update: { order: 'blue-green' } }), [{ path: '/update/order' }])
  t.match(errorsOf({ ...web, update: { monitor: '2h' } }), [{ path: '/update/monitor', message: 'at most 1h' }])
  t.match(errorsOf({ ...web, update: { paralelism: 2 } }), [{ path: '/update/paralelism', message: /allowed: order, parallelism, delay, monitor, failureAction/ }])
  t.match(errorsOf({ ...web, stopSignal: 'sigterm' }), [{ path: '/stopSignal', message: /like "SIGTERM"/ }])
  t.match(errorsOf({ ...web, stopSignal: 'SIGQUIT', dockerflags: { StopSignal: 'SIGINT' } }), [{ path: '/dockerflags/StopSignal', message: /once/ }])
  t.match(errorsOf({ ...web, stopGracePeriod: '2h' }), [{ path: '/stopGracePeriod', message: 'at most 1h' }])
})

t.test('update is rollout policy, not container shape: changing it alone changes no spec hash', async t => {
  const a = validateManifest({ ...web, update: { order: 'stop-first' } })
  const b = validateManifest({ ...web })
  if (!a.ok || !b.ok) throw new Error('valid')
  t.equal(specHash(containerSpec(a.manifest)), specHash(containerSpec(b.manifest)))
  t.same(resolveUpdate(undefined), UPDATE_DEFAULTS)
  t.same(resolveUpdate({ order: 'stop-first', parallelism: 2, delay: '1s', monitor: '0s', failureAction: 'pause' }),
    { order: 'stop-first', parallelism: 2, delayMs: 1000, monitorMs: 0, failureAction: 'pause' })
  t.equal(stopGraceMs({}), 10_000)
  t.equal(stopGraceMs({ stopGracePeriod: '30s' }), 30_000)
  t.equal(stopGraceMs({ dockerflags: { StopTimeout: 3 } }), 3000)
})

t.test('a manifest without the new fields keeps its spec hash (no rollout on upgrade)', async t => {
  const r = validateManifest({ image: 'nginx', services: { web: 80 } })
  if (!r.ok) throw new Error('valid')
  t.same(Object.keys(containerSpec(r.manifest)).sort(), ['image', 'restart', 'services'])
})
