import t from 'tap'
import type { ContainerSpec, DesiredRunState, RestartPolicy } from '../schemas/index.js'
import { containerName } from '../schemas/index.js'
import { modelLabels } from './apply-plan-model.js'
import type { ActualContainer, ContainerState, DesiredInstance } from './model.js'
import { reconcile } from './reconcile.js'

const H = 'h1'
const NOW = 1_000_000

function want(index: number, o: { run?: DesiredRunState; hash?: string; restart?: RestartPolicy; gen?: number; name?: string; stopFirst?: boolean } = {}): DesiredInstance {
  const spec: ContainerSpec = { image: 'busybox', restart: o.restart ?? 'always', services: {} }
  return {
    ref: { app: 'a', name: o.name ?? 'web', index }, spec, specHash: o.hash ?? 'h-1', run: o.run ?? 'running', restartGeneration: o.gen ?? 0,
    ...(o.stopFirst ? { order: 'stop-first' as const } : {}),
  }
}

function have(id: string, index: number, state: ContainerState, o: Partial<ActualContainer> & { hash?: string; host?: string; name?: string } = {}): ActualContainer {
  const { hash, host, name, ...rest } = o
  const labels = modelLabels(host ?? H, want(index, { hash, name }))
  return { id, name: containerName({ app: 'a', name: name ?? 'web', index }), labels, state, createdAt: 1000, ...rest }
}

const sf = { stopFirst: true }

const vol = (d: DesiredInstance, volumes: ContainerSpec['volumes']): DesiredInstance => ({ ...d, spec: { ...d.spec, volumes } })

const kinds = (p: { steps: { kind: string; containerId?: string }[] }) => p.steps.map(s => `${s.kind}${'containerId' in s && s.containerId ? ':' + s.containerId : ''}`)

const cases: { name: string; desired: DesiredInstance[]; actual: ActualContainer[]; steps: string[]; deferred?: number; retryAt?: number }[] = [
  { name: 'nothing wanted, nothing there', desired: [], actual: [], steps: [] },
  { name: 'missing instance is created', desired: [want(0)], actual: [], steps: ['create'] },
  { name: 'running with the right spec is left alone', desired: [want(0)], actual: [have('c0', 0, 'running')], steps: [] },
  { name: 'unassigned containers go, highest index first: up ones gracefully', desired: [], actual: [have('c1', 1, 'running'), have('c2', 2, 'running'), have('c0', 0, 'exited')], steps: ['retire:c2', 'retire:c1', 'remove:c0'] },
  { name: 'a container without labels is never touched', desired: [], actual: [{ id: 'x', name: 'mine', labels: {}, state: 'running', createdAt: 1 }], steps: [] },
  { name: 'a container of another host is never touched', desired: [want(0)], actual: [have('o', 0, 'running', { host: 'h2' })], steps: ['create'] },
  { name: 'duplicates: the oldest healthy one stays', desired: [want(0)], actual: [have('new', 0, 'running', { createdAt: 3000 }), have('dead', 0, 'exited', { createdAt: 10 }), have('old', 0, 'running', { createdAt: 2000 })], steps: ['retire:new', 'remove:dead'] },
  { name: 'restart always: exited 0 is started', desired: [want(0)], actual: [have('c', 0, 'exited', { exitCode: 0 })], steps: ['start:c'] },
  { name: 'restart on-failure: exited 0 stays down', desired: [want(0, { restart: 'on-failure' })], actual: [have('c', 0, 'exited', { exitCode: 0 })], steps: [] },
  { name: 'restart on-failure: exited 1 is started', desired: [want(0, { restart: 'on-failure' })], actual: [have('c', 0, 'exited', { exitCode: 1 })], steps: ['start:c'] },
  { name: 'restart never: killed stays down', desired: [want(0, { restart: 'never' })], actual: [have('c', 0, 'exited', { exitCode: 137 })], steps: [] },
  { name: 'restart never: one we stopped is started again when asked to run', desired: [want(0, { restart: 'never' })], actual: [have('c', 0, 'exited', { exitCode: 137, stoppedByUs: true })], steps: ['start:c'] },
  { name: 'a created container is started', desired: [want(0, { restart: 'never' })], actual: [have('c', 0, 'created')], steps: ['start:c'] },
  { name: 'crash loop waits', desired: [want(0)], actual: [have('c', 0, 'exited', { exitCode: 1, finishedAt: NOW - 100, quickRestarts: 5 })], steps: [], retryAt: NOW - 100 + 4000 },
  { name: 'crash loop delay over: started', desired: [want(0)], actual: [have('c', 0, 'exited', { exitCode: 1, finishedAt: NOW - 5000, quickRestarts: 5 })], steps: ['start:c'] },
  { name: 'run state stopped: running is stopped', desired: [want(0, { run: 'stopped' })], actual: [have('c', 0, 'running')], steps: ['stop:c'] },
  { name: 'run state stopped: missing is created but not started', desired: [want(0, { run: 'stopped' })], actual: [], steps: ['create'] },
  { name: 'run state stopped: exited stays', desired: [want(0, { run: 'stopped' })], actual: [have('c', 0, 'exited', { exitCode: 137, stoppedByUs: true })], steps: [] },
  { name: 'run state paused: running is paused', desired: [want(0, { run: 'paused' })], actual: [have('c', 0, 'running')], steps: ['pause:c'] },
  { name: 'run state paused: exited is started then paused', desired: [want(0, { run: 'paused' })], actual: [have('c', 0, 'exited')], steps: ['start:c'] },
  { name: 'run state running: paused is unpaused', desired: [want(0)], actual: [have('c', 0, 'paused')], steps: ['unpause:c'] },
  { name: 'restart generation bumped: restarted', desired: [want(0, { gen: 2 })], actual: [have('c', 0, 'running', { restartGeneration: 1 })], steps: ['restart:c'] },
  { name: 'restart generation unknown (adopted): not restarted', desired: [want(0, { gen: 2 })], actual: [have('c', 0, 'running')], steps: [] },
  { name: 'stop-first: one running instance retired at a time', desired: [want(0, { hash: 'h-2', ...sf }), want(1, { hash: 'h-2', ...sf }), want(2, { hash: 'h-2', ...sf })], actual: [have('c0', 0, 'running'), have('c1', 1, 'running'), have('c2', 2, 'running')], steps: ['retire:c0'], deferred: 2 },
  { name: 'stop-first: waits while another instance is not up', desired: [want(0, { hash: 'h-2', ...sf }), want(1, { hash: 'h-2', ...sf })], actual: [have('c0', 0, 'running')], steps: ['create'], deferred: 1 },
  { name: 'stop-first: waits while another instance is not healthy yet', desired: [want(0, { hash: 'h-2', ...sf }), want(1, { hash: 'h-2', ...sf })], actual: [have('c0', 0, 'running'), have('c1', 1, 'running', { hash: 'h-2', health: 'starting' })], steps: [], deferred: 1 },
  { name: 'stop-first: the retired one is created once it is gone', desired: [want(0, { hash: 'h-2', ...sf })], actual: [have('c0', 0, 'running', { inFlight: 'retire' })], steps: [] },
  { name: 'stop-first: ... and then', desired: [want(0, { hash: 'h-2', ...sf })], actual: [], steps: ['create'] },
  { name: 'spec change: instances that are down are replaced at once', desired: [want(0, { hash: 'h-2' }), want(1, { hash: 'h-2' })], actual: [have('c0', 0, 'exited'), have('c1', 1, 'exited')], steps: ['replace:c0', 'replace:c1'] },
  { name: 'spec change of one manifest does not wait for another', desired: [want(0, { hash: 'h-2', ...sf }), want(0, { name: 'db' })], actual: [have('c0', 0, 'running')], steps: ['create', 'retire:c0'] },
  // Start-first (the default): the new container beside the old, which serves until the new one is ready.
  { name: 'start-first: every changed running instance gets its new container beside the old', desired: [want(0, { hash: 'h-2' }), want(1, { hash: 'h-2' })], actual: [have('c0', 0, 'running'), have('c1', 1, 'running')], steps: ['create', 'create'] },
  { name: 'start-first: the old one stays while the new one starts', desired: [want(0, { hash: 'h-2' })], actual: [have('old', 0, 'running'), have('new', 0, 'running', { hash: 'h-2', health: 'starting', createdAt: 2000 })], steps: [] },
  { name: 'start-first: ... or while the new one is unhealthy (restarted per its policy)', desired: [want(0, { hash: 'h-2' })], actual: [have('old', 0, 'running'), have('new', 0, 'running', { hash: 'h-2', health: 'unhealthy', startedAt: 0 })], steps: ['restart:new'] },
  { name: 'start-first: ... or crashed (restarted per its policy)', desired: [want(0, { hash: 'h-2' })], actual: [have('old', 0, 'running'), have('new', 0, 'exited', { hash: 'h-2', exitCode: 1 })], steps: ['start:new'] },
  { name: 'start-first: the new one is ready: the old one is retired', desired: [want(0, { hash: 'h-2' })], actual: [have('old', 0, 'running'), have('new', 0, 'running', { hash: 'h-2', health: 'healthy' })], steps: ['retire:old'] },
  { name: 'start-first: without a check, running is ready', desired: [want(0, { hash: 'h-2' })], actual: [have('old', 0, 'running'), have('new', 0, 'running', { hash: 'h-2' })], steps: ['retire:old'] },
  { name: 'start-first: no rename while the old one is being retired', desired: [want(0, { hash: 'h-2' })], actual: [have('old', 0, 'running', { inFlight: 'retire' }), { ...have('new', 0, 'running', { hash: 'h-2' }), name: 'a---web--next-h-2' }], steps: [] },
  { name: 'start-first: the old one gone, the new one takes the canonical name', desired: [want(0, { hash: 'h-2' })], actual: [{ ...have('new', 0, 'running', { hash: 'h-2' }), name: 'a---web--next-h-2' }], steps: ['rename:new'] },
  { name: 'start-first: the fallback name of a shared engine is left as it is', desired: [want(0)], actual: [{ ...have('c', 0, 'running'), name: 'a---web.h1' }], steps: [] },
  { name: 'rollback: the old spec assigned again, the new container goes', desired: [want(0)], actual: [have('old', 0, 'running'), have('new', 0, 'running', { hash: 'h-2', health: 'unhealthy' })], steps: ['retire:new'] },
  { name: 'a second change mid-replacement: the abandoned new one goes, the old one serves on', desired: [want(0, { hash: 'h-3' })], actual: [have('old', 0, 'running', { createdAt: 1 }), have('mid', 0, 'running', { hash: 'h-2', health: 'starting', createdAt: 2 })], steps: ['retire:mid', 'create'] },
  { name: 'start-first: an old one that does not serve (not healthy) is not kept: stop-first', desired: [want(0, { hash: 'h-2' })], actual: [have('old', 0, 'running', { health: 'unhealthy' })], steps: ['retire:old'] },
  { name: 'start-first: a new one whose restart policy leaves it down (a job done) lets the old one go', desired: [want(0, { hash: 'h-2', restart: 'on-failure' })], actual: [have('old', 0, 'running'), have('new', 0, 'exited', { hash: 'h-2', exitCode: 0 })], steps: ['retire:old'] },
  { name: 'start-first: the old one died meanwhile: it goes', desired: [want(0, { hash: 'h-2' })], actual: [have('old', 0, 'exited', { exitCode: 137 }), have('new', 0, 'running', { hash: 'h-2', health: 'starting' })], steps: ['remove:old'] },
  { name: 'services on the host network: stop-first, whatever the order', desired: [{ ...want(0, { hash: 'h-2' }), spec: { image: 'i', restart: 'always', services: { web: { port: 80 } }, dockerflags: { NetworkMode: 'host' } } }], actual: [have('old', 0, 'running')], steps: ['retire:old'] },
  // Two containers must never write one data directory: a writable volume replaces stop-first, whatever the order.
  { name: 'a writable named volume: stop-first, though the assignment says start-first', desired: [vol(want(0, { hash: 'h-2' }), { data: '/data' })], actual: [have('old', 0, 'running')], steps: ['retire:old'] },
  { name: 'a writable volume: the new container only once the old one is gone', desired: [vol(want(0, { hash: 'h-2' }), { data: '/data' })], actual: [have('old', 0, 'running', { inFlight: 'retire' })], steps: [] },
  { name: 'a writable volume: ... and then created', desired: [vol(want(0, { hash: 'h-2' }), { data: '/data' })], actual: [], steps: ['create'] },
  { name: 'a writable bind: stop-first too', desired: [vol(want(0, { hash: 'h-2' }), { logs: { path: '/logs', hostPath: '/srv/logs' } })], actual: [have('old', 0, 'running')], steps: ['retire:old'] },
  { name: 'writable volumes: one running instance of the manifest at a time', desired: [vol(want(0, { hash: 'h-2' }), { data: '/data' }), vol(want(1, { hash: 'h-2' }), { data: '/data' })], actual: [have('c0', 0, 'running'), have('c1', 1, 'running')], steps: ['retire:c0'], deferred: 1 },
  { name: 'read-only volumes only: the spec may run twice, start-first', desired: [vol(want(0, { hash: 'h-2' }), { seed: { path: '/seed', readOnly: true } })], actual: [have('old', 0, 'running')], steps: ['create'] },
  { name: 'a writable volume mid start-first (an older conductor began it): the old one goes before anything else', desired: [vol(want(0, { hash: 'h-2' }), { data: '/data' })], actual: [have('old', 0, 'running'), have('new', 0, 'running', { hash: 'h-2', health: 'starting', createdAt: 2000 })], steps: ['retire:old'] },
  { name: 'start-first only for a running instance: a stopped one is replaced', desired: [want(0, { hash: 'h-2', run: 'stopped' })], actual: [have('old', 0, 'running')], steps: ['retire:old'] },
  { name: 'a new container still being retired on the same spec: wait before creating it again', desired: [want(0, { hash: 'h-2' })], actual: [have('old', 0, 'running'), have('gone', 0, 'running', { hash: 'h-2', inFlight: 'retire' })], steps: [] },
  // Health and graceful steps.
  { name: 'unhealthy: restarted (restart always)', desired: [want(0)], actual: [have('c', 0, 'running', { health: 'unhealthy', startedAt: 0 })], steps: ['restart:c'] },
  { name: 'unhealthy: restarted (restart on-failure)', desired: [want(0, { restart: 'on-failure' })], actual: [have('c', 0, 'running', { health: 'unhealthy', startedAt: 0 })], steps: ['restart:c'] },
  { name: 'unhealthy: left as it is (restart never)', desired: [want(0, { restart: 'never' })], actual: [have('c', 0, 'running', { health: 'unhealthy', startedAt: 0 })], steps: [] },
  { name: 'unhealthy: not restarted before the grace (retries × interval after the verdict), out of DNS meanwhile', desired: [want(0)], actual: [have('c', 0, 'running', { health: 'unhealthy', startedAt: 0, unhealthySince: NOW - 1000 })], steps: [], retryAt: NOW - 1000 + 15_000 },
  { name: 'unhealthy: restarted once the grace is over', desired: [want(0)], actual: [have('c', 0, 'running', { health: 'unhealthy', startedAt: 0, unhealthySince: NOW - 15_000 })], steps: ['restart:c'] },
  { name: 'unhealthy in a crash loop: not before its delay', desired: [want(0)], actual: [have('c', 0, 'running', { health: 'unhealthy', startedAt: NOW - 100, quickRestarts: 5 })], steps: [], retryAt: NOW - 100 + 4000 },
  { name: 'starting: nothing to do', desired: [want(0)], actual: [have('c', 0, 'running', { health: 'starting' })], steps: [] },
  { name: 'a graceful stop under way: left alone', desired: [want(0, { run: 'stopped' })], actual: [have('c', 0, 'exited', { inFlight: 'stop' })], steps: [] },
  { name: 'a graceful restart under way: left alone', desired: [want(0)], actual: [have('c', 0, 'exited', { inFlight: 'restart', exitCode: 137 })], steps: [] },
  { name: 'an unassigned container being retired: left alone', desired: [], actual: [have('c', 0, 'running', { inFlight: 'retire' })], steps: [] },
  { name: 'reassigned while its container is retired: created once it is gone', desired: [want(0)], actual: [have('c', 0, 'running', { inFlight: 'retire' })], steps: [] },
  { name: 'dead container is replaced', desired: [want(0)], actual: [have('c', 0, 'dead')], steps: ['replace:c'] },
  { name: 'container being removed: look again soon', desired: [want(0)], actual: [have('c', 0, 'removing')], steps: [], retryAt: NOW + 500 },
]

for (const c of cases) {
  t.test(c.name, async t => {
    const plan = reconcile(H, c.desired, c.actual, NOW)
    t.same(kinds(plan), c.steps)
    t.equal(plan.deferred, c.deferred ?? 0, 'deferred')
    t.equal(plan.retryAt, c.retryAt, 'retryAt')
  })
}

t.test('steps carry why: an unhealthy restart, a generation restart', async t => {
  t.match(reconcile(H, [want(0)], [have('c', 0, 'running', { health: 'unhealthy', startedAt: 0 })], NOW).steps[0], { kind: 'restart', reason: 'unhealthy', generation: 0 })
  t.match(reconcile(H, [want(0, { gen: 2 })], [have('c', 0, 'running', { restartGeneration: 1 })], NOW).steps[0], { kind: 'restart', reason: 'generation', generation: 2 })
  t.match(reconcile(H, [want(0, { hash: 'h-2' })], [have('old', 0, 'running'), have('new', 0, 'running', { hash: 'h-2' })], NOW).steps[0], { kind: 'retire', reason: 'superseded' })
})

t.test('paused run state: start carries thenPause', async t => {
  const plan = reconcile(H, [want(0, { run: 'paused' })], [have('c', 0, 'exited')], NOW)
  t.match(plan.steps[0], { kind: 'start', thenPause: true, reason: 'run-state' })
})
