import fc from 'fast-check'
import t from 'tap'
import { LABELS } from '../schemas/index.js'
import type { ContainerDetail } from './docker-engine.js'
import { describeStep, InstanceMemos } from './instance-memo.js'
import { instanceViews } from './instance-view.js'
import type { DesiredInstance, Step } from './model.js'
import { QUICK_RUN_MS } from './restart-delay.js'

const ref = { app: 'a', name: 'web', index: 0 }
const NOW = 10 ** 12

function container(over: Partial<ContainerDetail> & { index?: number } = {}): ContainerDetail {
  const { index = 0, ...rest } = over
  return {
    id: `c${index}`, name: `a---web---${index}`, state: 'exited', createdAt: 1, hostPorts: {}, networkMode: 'bridge',
    labels: { [LABELS.app]: 'a', [LABELS.name]: 'web', [LABELS.instance]: String(index) }, ...rest,
  }
}

function desired(over: Partial<DesiredInstance> = {}): DesiredInstance {
  return { ref, spec: { image: 'nginx', services: {} } as unknown as DesiredInstance['spec'], specHash: 'h', run: 'running', restartGeneration: 0, ...over }
}

const views = (details: ContainerDetail[]) => instanceViews(details, { specHash: () => undefined, health: () => undefined, withdrawn: () => false })

const restartStart: Step = { kind: 'start', ref, containerId: 'c0', reason: 'restart-policy' }

t.test('a restart after a short run counts toward the crash loop; after a long run it starts over', async t => {
  const m = new InstanceMemos()
  m.applied(restartStart, container({ startedAt: 1000, finishedAt: 2000 }), NOW)
  m.applied(restartStart, container({ startedAt: 1000, finishedAt: 2000 }), NOW)
  t.same([m.of(ref).restarts, m.of(ref).quickRestarts], [2, 2])
  m.applied(restartStart, container({ startedAt: 1000, finishedAt: 1000 + QUICK_RUN_MS }), NOW)
  t.same([m.of(ref).restarts, m.of(ref).quickRestarts], [3, 0])
})

t.test('a start for another reason is no restart; it clears stoppedByUs', async t => {
  const m = new InstanceMemos()
  m.applied({ kind: 'stop', ref, containerId: 'c0' }, container(), NOW)
  t.equal(m.of(ref).stoppedByUs, true)
  m.applied({ kind: 'start', ref, containerId: 'c0', reason: 'run-state' }, container(), NOW)
  t.same(m.of(ref), { restarts: 0, quickRestarts: 0, stoppedByUs: false, error: undefined })
})

t.test('create and replace take the generation and run state of what they created', async t => {
  const m = new InstanceMemos()
  m.applied({ kind: 'create', ref, desired: desired({ restartGeneration: 4, run: 'stopped' }) }, undefined, NOW)
  t.same([m.of(ref).restartGeneration, m.of(ref).stoppedByUs], [4, true])
  m.applied({ kind: 'replace', ref, containerId: 'c0', desired: desired({ restartGeneration: 5 }) }, container(), NOW)
  t.same([m.of(ref).restartGeneration, m.of(ref).stoppedByUs], [5, false])
  m.applied({ kind: 'restart', ref, containerId: 'c0', generation: 6, reason: 'generation' }, container(), NOW)
  t.equal(m.of(ref).restartGeneration, 6)
})

t.test('a failure is remembered until the next success; a failed remove is not the instance\'s', async t => {
  const m = new InstanceMemos()
  m.failed({ kind: 'remove', ref, containerId: 'c0', reason: 'duplicate' }, 'gone')
  t.equal(m.of(ref).error, undefined)
  m.failed({ kind: 'create', ref, desired: desired() }, 'cannot pull image nginx: nope')
  t.equal(m.of(ref).error, 'cannot pull image nginx: nope')
  m.applied({ kind: 'create', ref, desired: desired() }, undefined, NOW)
  t.equal(m.of(ref).error, undefined)
})

t.test('an unassigned instance is forgotten; a removed duplicate is not', async t => {
  const m = new InstanceMemos()
  m.of(ref).restarts = 3
  m.applied({ kind: 'remove', ref, containerId: 'c1', reason: 'duplicate' }, container(), NOW)
  t.equal(m.of(ref).restarts, 3)
  m.applied({ kind: 'remove', ref, containerId: 'c0', reason: 'unassigned' }, container(), NOW)
  t.equal(m.has(ref), false)
})

t.test('annotate: memory onto the engine\'s facts; an adopted container has done the restart asked', async t => {
  const m = new InstanceMemos()
  m.adopt([['a/web/1', { restarts: 2, quickRestarts: 1, stoppedByUs: true, restartGeneration: 1 }]])
  const actual = m.annotate('a', 'web', [container(), container({ index: 1 })], r => (r.index === 0 ? desired({ restartGeneration: 7 }) : undefined))
  t.match(actual[0], { id: 'c0', restartGeneration: 7, stoppedByUs: false, quickRestarts: 0 })
  t.match(actual[1], { id: 'c1', restartGeneration: 1, stoppedByUs: true, quickRestarts: 1 })
})

t.test('settled: up longer than a quick run ends the crash loop, unless the instance failed', async t => {
  const m = new InstanceMemos()
  m.of(ref).quickRestarts = 4
  const up = views([container({ state: 'running', startedAt: NOW - QUICK_RUN_MS + 1 })])
  m.settled([desired()], up, NOW)
  t.equal(m.of(ref).quickRestarts, 4, 'not yet')
  const longer = views([container({ state: 'running', startedAt: NOW - QUICK_RUN_MS - 1 })])
  m.of(ref).error = 'x'
  m.settled([desired()], longer, NOW)
  t.equal(m.of(ref).quickRestarts, 4, 'failed')
  m.of(ref).error = undefined
  m.settled([desired()], longer, NOW)
  t.equal(m.of(ref).quickRestarts, 0)
})

t.test('property: restarts count every restart-policy start, quickRestarts the trailing short runs', async t => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 3 * QUICK_RUN_MS })), runs => {
    const m = new InstanceMemos()
    for (const ran of runs) m.applied(restartStart, container({ startedAt: 5, finishedAt: 5 + ran }), NOW)
    let trailing = 0
    for (const ran of runs) trailing = ran < QUICK_RUN_MS ? trailing + 1 : 0
    return m.of(ref).restarts === runs.length && m.of(ref).quickRestarts === trailing
  }))
})

t.test('an unhealthy restart counts like a crash, by how long the container ran', async t => {
  const m = new InstanceMemos()
  const sick: Step = { kind: 'restart', ref, containerId: 'c0', generation: 0, reason: 'unhealthy' }
  m.applied(sick, container({ state: 'running', startedAt: NOW - 1000 }), NOW)
  t.same([m.of(ref).restarts, m.of(ref).quickRestarts], [1, 1])
  m.applied(sick, container({ state: 'running', startedAt: NOW - QUICK_RUN_MS - 1 }), NOW)
  t.same([m.of(ref).restarts, m.of(ref).quickRestarts], [2, 0])
  m.applied({ ...sick, reason: 'generation', generation: 3 }, container({ state: 'running', startedAt: NOW - 1000 }), NOW)
  t.same([m.of(ref).restarts, m.of(ref).restartGeneration], [2, 3], 'a restart asked for is no crash')
})

t.test('a retired container is like a removed one: unassigned forgets the instance, a failure is not the instance\'s', async t => {
  const m = new InstanceMemos()
  m.of(ref).restarts = 3
  m.failed({ kind: 'retire', ref, containerId: 'c1', reason: 'superseded' }, 'docker said no')
  t.equal(m.of(ref).error, undefined)
  m.applied({ kind: 'retire', ref, containerId: 'c1', reason: 'superseded' }, container(), NOW)
  t.equal(m.of(ref).restarts, 3)
  m.applied({ kind: 'retire', ref, containerId: 'c0', reason: 'unassigned' }, container(), NOW)
  t.equal(m.has(ref), false)
})

t.test('describeStep', async t => {
  t.equal(describeStep(restartStart), 'start c0 (restart-policy)')
  t.equal(describeStep({ kind: 'create', ref, desired: desired() }), 'create')
  t.equal(describeStep({ kind: 'stop', ref, containerId: '0123456789abcdef' }), 'stop 0123456789ab')
  t.equal(describeStep({ kind: 'retire', ref, containerId: 'c0', reason: 'superseded' }), 'retire c0 (superseded)')
})
