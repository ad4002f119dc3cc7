import t from 'tap'
import type { ContainerSpec } from '../schemas/index.js'
import { checkOf, ContainerHealth, targetOf } from './container-health.js'
import type { ContainerDetail } from './docker-engine.js'
import type { HealthVerdict, HealthWatcher, WatchRequest } from './health/health-monitor.js'

const SINCE = 1_000_000
const web: ContainerSpec = { image: 'i', restart: 'always', services: { web: { port: 80, role: 'web' } } }
const http: ContainerSpec = { ...web, health: { http: '/healthz', interval: '1s' } }

function container(id: string, o: Partial<ContainerDetail> = {}): ContainerDetail {
  return { id, name: id, labels: {}, state: 'running', createdAt: 1, startedAt: SINCE + 10, hostPorts: { '80/tcp': 32768 }, networkMode: 'bridge', ...o }
}

/** A stand-in for the lead's watcher: remembers what it was told, verdicts set by hand. */
function standIn() {
  const watched = new Map<string, WatchRequest>()
  const verdicts = new Map<string, HealthVerdict>()
  const docker: string[] = []
  const w: HealthWatcher = {
    watch: req => { watched.set(req.containerId, req) },
    unwatch: id => { watched.delete(id); verdicts.delete(id) },
    verdict: id => (watched.has(id) ? verdicts.get(id) ?? { state: 'starting' } : undefined),
    dockerSaid: (id, status, err) => { docker.push(`${id} ${status}${err ? ` ${err}` : ''}`) },
    close: () => watched.clear(),
  }
  return { w, watched, verdicts, docker }
}

const noSpec = { specOf: () => undefined, skip: () => false, adopted: () => undefined }

t.test('which check: the spec\'s, else the image\'s HEALTHCHECK, else none; where it is probed', async t => {
  const c = container('c')
  t.match(checkOf(c, http), { kind: 'http', path: '/healthz', containerPort: 80, intervalMs: 1000 })
  t.same(checkOf({ ...c, healthcheck: true }, web), { kind: 'docker' })
  t.equal(checkOf(c, web), undefined)
  t.same(targetOf(c, checkOf(c, http)!, '10.0.0.5'), { host: '10.0.0.5', port: 32768 }, 'the published port on the host address')
  t.same(targetOf({ ...c, networkMode: 'host', hostPorts: {} }, checkOf(c, http)!, '10.0.0.5'), { host: '10.0.0.5', port: 80 }, 'host network: the container port')
  t.equal(targetOf({ ...c, hostPorts: {} }, checkOf(c, http)!, '10.0.0.5'), undefined)
  t.equal(targetOf(c, { kind: 'docker' }, '10.0.0.5'), undefined)
})

t.test('watches what runs with a check, passes on Docker\'s word, forgets the rest', async t => {
  const s = standIn()
  const h = new ContainerHealth(s.w, '10.0.0.5', SINCE)
  const image = container('img', { healthcheck: true, dockerHealth: { status: 'unhealthy', lastError: 'exit 1' } })
  h.observe('a/web', [container('web'), image, container('plain'), container('down', { state: 'exited' }), container('busy')], {
    specOf: c => (c.id === 'plain' || c.id === 'img' ? web : http), skip: id => id === 'busy', adopted: () => undefined,
  })
  t.same([...s.watched.keys()], ['web', 'img'])
  t.match(s.watched.get('web'), { check: { kind: 'http' }, target: { host: '10.0.0.5', port: 32768 }, startedAt: SINCE + 10 })
  t.same(s.docker, ['img unhealthy exit 1'], 'Docker\'s verdict, for its own checks only')
  t.equal(h.manifestOf('web'), 'a/web')
  t.same(h.healthOf('web'), { state: 'starting' })
  t.equal(h.healthOf('plain'), undefined, 'no check: no health')
  h.observe('a/web', [container('web', { state: 'exited' })], noSpec)
  t.same([...s.watched.keys()], [], 'stopped and gone: unwatched')
  t.equal(h.healthOf('web'), undefined)
})

t.test('a restarted conductor keeps in SkyDNS what was there, until a check of its own fails', async t => {
  const s = standIn()
  const h = new ContainerHealth(s.w, '10.0.0.5', SINCE)
  const before = { startedAt: SINCE - 5000 }
  // SkyDNS pointed at ports 1 (old) and 2 (other); sick's record said unhealthy.
  const adopted = (c: ContainerDetail) => (c.id === 'sick'
    ? { containerId: 'sick', health: 'unhealthy' as const }
    : { containerId: 'old', health: 'healthy' as const, healthySince: new Date(SINCE - 4000).toISOString(), dnsPorts: [1, 2] })
  h.observe('a/web', [
    container('old', { ...before, hostPorts: { '80/tcp': 1 } }), container('other', { ...before, hostPorts: { '80/tcp': 2 } }),
    container('sick', { ...before, hostPorts: { '80/tcp': 3 } }), container('unseen', { ...before, hostPorts: { '80/tcp': 4 } }),
    container('new', { hostPorts: { '80/tcp': 1 } }),
  ], { specOf: () => http, skip: () => false, adopted })
  t.same(h.healthOf('old'), { state: 'healthy', healthySince: SINCE - 4000 }, 'in SkyDNS, healthy as its record said, since then')
  t.same(h.healthOf('other'), { state: 'healthy', healthySince: SINCE - 5000 }, 'in SkyDNS (serving while the record told of another)')
  t.same(h.healthOf('sick'), { state: 'starting' }, 'reported sick: checked first')
  t.same(h.healthOf('unseen'), { state: 'starting' }, 'not in SkyDNS: checked first')
  t.same(h.healthOf('new'), { state: 'starting' }, 'started after us: checked first')
  s.verdicts.set('old', { state: 'healthy', healthySince: SINCE + 100 })
  t.same(h.healthOf('old'), { state: 'healthy', healthySince: SINCE - 4000 }, 'its first check passed: healthy since before')
  const failedOnce: HealthVerdict = { state: 'starting', error: 'GET /healthz: timeout after 2000ms' }
  s.verdicts.set('other', failedOnce)
  h.changed('other', failedOnce)
  t.same(h.healthOf('other'), { state: 'healthy', healthySince: SINCE - 5000 }, 'one failed check (a slow answer under load) keeps it: a healthy one stays so until `retries` fail')
  const unhealthy: HealthVerdict = { state: 'unhealthy', error: 'GET /healthz: 404', unhealthySince: SINCE + 200 }
  s.verdicts.set('other', unhealthy)
  h.changed('other', unhealthy)
  t.same(h.healthOf('other'), unhealthy, 'an unhealthy verdict ends the benefit of the doubt')
  s.verdicts.set('other', failedOnce)
  t.same(h.healthOf('other'), failedOnce, 'and it does not come back: checked like any other from then on')
  h.pause('old')
  t.same(h.healthOf('old'), { state: 'starting' }, 'stopped for a restart: starting again')
})
