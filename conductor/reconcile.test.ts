import t from 'tap'
import type { ContainerSpec, DesiredRunState, RestartPolicy } from '../schemas/index.js'
import { modelLabels } from './apply-plan-model.js'
import type { ActualContainer, ContainerState, DesiredInstance } from './model.js'
import { reconcile } from './reconcile.js'

const H = 'h1'
const NOW = 1_000_000

function want(index: number, o: { run?: DesiredRunState; hash?: string; restart?: RestartPolicy; gen?: number; name?: string } = {}): DesiredInstance {
  const spec: ContainerSpec = { image: 'busybox', restart: o.restart ?? 'always', services: {} }
  return { ref: { app: 'a', name: o.name ?? 'web', index }, spec, specHash: o.hash ?? 'h-1', run: o.run ?? 'running', restartGeneration: o.gen ?? 0 }
}

function have(id: string, index: number, state: ContainerState, o: Partial<ActualContainer> & { hash?: string; host?: string; name?: string } = {}): ActualContainer {
  const labels = modelLabels(o.host ?? H, want(index, { hash: o.hash, name: o.name }))
  return { id, name: `a---web---${index}`, labels, state, createdAt: 1000, ...o }
}

const kinds = (p: { steps: { kind: string; containerId?: string }[] }) => p.steps.map(s => `${s.kind}${'containerId' in s && s.containerId ? ':' + s.containerId : ''}`)

const cases: { name: string; desired: DesiredInstance[]; actual: ActualContainer[]; steps: string[]; deferred?: number; retryAt?: number }[] = [
  { name: 'nothing wanted, nothing there', desired: [], actual: [], steps: [] },
  { name: 'missing instance is created', desired: [want(0)], actual: [], steps: ['create'] },
  { name: 'running with the right spec is left alone', desired: [want(0)], actual: [have('c0', 0, 'running')], steps: [] },
  { name: 'unassigned containers are removed, highest index first', desired: [], actual: [have('c1', 1, 'running'), have('c2', 2, 'running'), have('c0', 0, 'exited')], steps: ['remove:c2', 'remove:c1', 'remove:c0'] },
  { name: 'a container without labels is never touched', desired: [], actual: [{ id: 'x', name: 'mine', labels: {}, state: 'running', createdAt: 1 }], steps: [] },
  { name: 'a container of another host is never touched', desired: [want(0)], actual: [have('o', 0, 'running', { host: 'h2' })], steps: ['create'] },
  { name: 'duplicates: the oldest healthy one stays', desired: [want(0)], actual: [have('new', 0, 'running', { createdAt: 3000 }), have('dead', 0, 'exited', { createdAt: 10 }), have('old', 0, 'running', { createdAt: 2000 })], steps: ['remove:new', 'remove:dead'] },
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
  { name: 'spec change: one running instance replaced at a time', desired: [want(0, { hash: 'h-2' }), want(1, { hash: 'h-2' }), want(2, { hash: 'h-2' })], actual: [have('c0', 0, 'running'), have('c1', 1, 'running'), have('c2', 2, 'running')], steps: ['replace:c0'], deferred: 2 },
  { name: 'spec change: waits while another instance is not up', desired: [want(0, { hash: 'h-2' }), want(1, { hash: 'h-2' })], actual: [have('c0', 0, 'running')], steps: ['create'], deferred: 1 },
  { name: 'spec change: instances that are down are replaced at once', desired: [want(0, { hash: 'h-2' }), want(1, { hash: 'h-2' })], actual: [have('c0', 0, 'exited'), have('c1', 1, 'exited')], steps: ['replace:c0', 'replace:c1'] },
  { name: 'spec change of one manifest does not wait for another', desired: [want(0, { hash: 'h-2' }), want(0, { name: 'db' })], actual: [have('c0', 0, 'running')], steps: ['create', 'replace:c0'] },
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

t.test('paused run state: start carries thenPause', async t => {
  const plan = reconcile(H, [want(0, { run: 'paused' })], [have('c', 0, 'exited')], NOW)
  t.match(plan.steps[0], { kind: 'start', thenPause: true, reason: 'run-state' })
})
