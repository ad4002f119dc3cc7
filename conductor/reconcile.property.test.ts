import fc from 'fast-check'
import t from 'tap'
import type { ContainerSpec, HealthState } from '../schemas/index.js'
import { containerName, needsStopFirst } from '../schemas/index.js'
import { applyPlanModel, modelLabels } from './apply-plan-model.js'
import type { ActualContainer, ContainerState, DesiredInstance } from './model.js'
import { isReady, refKey } from './model.js'
import { reconcile } from './reconcile.js'

const H = 'me'
// Far in the future, so crash-loop delays never hold a restart back.
const NOW = 10 ** 13

const arbRef = fc.record({ app: fc.constantFrom('a', 'b'), name: fc.constantFrom('x', 'y'), index: fc.integer({ min: 0, max: 4 }) })

const arbDesired: fc.Arbitrary<DesiredInstance[]> = fc.uniqueArray(
  fc.record({
    ref: arbRef,
    specHash: fc.constantFrom('s1', 's2'),
    run: fc.constantFrom('running', 'running', 'stopped', 'paused') as fc.Arbitrary<DesiredInstance['run']>,
    restartGeneration: fc.integer({ min: 0, max: 2 }),
    restart: fc.constantFrom('always', 'on-failure', 'never') as fc.Arbitrary<ContainerSpec['restart']>,
    stopFirst: fc.boolean(),
    // A writable volume forces stop-first whatever the order; read-only ones do not.
    volumes: fc.constantFrom<ContainerSpec['volumes']>(undefined, undefined, { data: '/data' }, { seed: { path: '/seed', readOnly: true } }),
  }).map(r => ({
    ref: r.ref, specHash: r.specHash, run: r.run, restartGeneration: r.restartGeneration,
    spec: { image: 'i', restart: r.restart, services: {}, ...(r.volumes ? { volumes: r.volumes } : {}) },
    ...(r.stopFirst ? { order: 'stop-first' as const } : {}),
  })),
  { selector: d => refKey(d.ref), maxLength: 8 },
)

const arbState = fc.constantFrom<ContainerState>('created', 'running', 'paused', 'exited', 'dead')

const arbActual: fc.Arbitrary<ActualContainer[]> = fc.array(
  fc.record({
    ref: arbRef,
    host: fc.constantFrom(H, H, H, 'other', ''),
    hash: fc.constantFrom('s1', 's2'),
    state: arbState,
    exitCode: fc.constantFrom(0, 1, 137),
    createdAt: fc.integer({ min: 0, max: 100 }),
    stoppedByUs: fc.boolean(),
    restartGeneration: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
    // Checks that passed: a model container stays as healthy as it is.
    health: fc.constantFrom<HealthState | undefined>(undefined, 'healthy'),
  }),
  { maxLength: 12 },
).map(list => list.map((r, i) => {
  const d: DesiredInstance = { ref: r.ref, specHash: r.hash, run: 'running', restartGeneration: 0, spec: { image: 'i', restart: 'always', services: {} } }
  const labels = r.host === '' ? { other: 'label' } : modelLabels(r.host, d)
  return {
    id: `c${i}`, name: `n${i}`, labels, state: r.state, createdAt: r.createdAt, exitCode: r.exitCode, stoppedByUs: r.stoppedByUs, restartGeneration: r.restartGeneration,
    ...(r.state === 'running' && r.health ? { health: r.health } : {}),
  }
}))

const isMine = (c: ActualContainer) => c.labels['io.dokkaa.host'] === H

const instanceOf = (c: ActualContainer) => `${c.labels['io.dokkaa.app']}/${c.labels['io.dokkaa.name']}/${c.labels['io.dokkaa.instance']}`

/** Plans applied to the model until one is empty. Each round, new containers come up
 * `starting` when `checked`, and every starting check passes before the next round. */
function converge(desired: DesiredInstance[], actual: ActualContainer[], checked = false, onRound?: (cs: ActualContainer[]) => void): { rounds: ActualContainer[][]; last: ReturnType<typeof reconcile> } {
  let n = 0
  const newId = () => `made${n++}`
  let current = actual
  const rounds: ActualContainer[][] = []
  let plan = reconcile(H, desired, current, NOW)
  for (let i = 0; i < 40 && plan.steps.length > 0; i++) {
    current = applyPlanModel(H, current, plan, NOW, newId, checked ? 'starting' : undefined)
    onRound?.(current)
    current = current.map(c => (c.health === 'starting' ? { ...c, health: 'healthy' } : c))
    onRound?.(current)
    rounds.push(current)
    plan = reconcile(H, desired, current, NOW)
  }
  return { rounds, last: plan }
}

t.test('never touches a container without this host label', async t => {
  fc.assert(fc.property(arbDesired, arbActual, (desired, actual) => {
    const foreign = new Set(actual.filter(c => !isMine(c)).map(c => c.id))
    return reconcile(H, desired, actual, NOW).steps.every(s => !('containerId' in s) || !foreign.has(s.containerId))
  }), { numRuns: 500 })
  t.pass('no step names a foreign container')
})

t.test('after applying a plan, only desired instances, each with one container, or two while a start-first replacement runs', async t => {
  fc.assert(fc.property(arbDesired, arbActual, (desired, actual) => {
    const after = applyPlanModel(H, actual, reconcile(H, desired, actual, NOW), NOW, (() => { let n = 0; return () => `n${n++}` })())
    const wanted = new Map(desired.map(d => [refKey(d.ref), d]))
    const byInstance = new Map<string, ActualContainer[]>()
    for (const c of after.filter(isMine)) byInstance.set(instanceOf(c), [...byInstance.get(instanceOf(c)) ?? [], c])
    return [...byInstance].every(([rk, cs]) => {
      const d = wanted.get(rk)
      if (!d) return false
      if (cs.length === 1) return true
      // Beside the old one: exactly one on the new spec, for a running start-first instance.
      return cs.length === 2 && d.run === 'running' && d.order === undefined && !needsStopFirst(d.spec) &&
        cs.filter(c => c.labels['io.dokkaa.spec'] === d.specHash).length === 1
    })
  }), { numRuns: 500 })
  t.pass()
})

t.test('converges, and then reconcile(applied) is an empty plan: one container per instance, on its spec, by its canonical name', async t => {
  fc.assert(fc.property(arbDesired, arbActual, fc.boolean(), (desired, actual, checked) => {
    const { rounds, last } = converge(desired, actual, checked)
    const final = (rounds.at(-1) ?? actual).filter(isMine)
    const wanted = new Map(desired.map(d => [refKey(d.ref), d]))
    // Start-first: create, retire, rename; stop-first: one instance at a time, retire then create.
    return last.steps.length === 0 && last.deferred === 0 && rounds.length <= 3 + 2 * desired.length &&
      final.length === desired.length &&
      final.every(c => { const d = wanted.get(instanceOf(c)); return d && c.labels['io.dokkaa.spec'] === d.specHash && c.name === containerName(d.ref) })
  }), { numRuns: 500 })
  t.pass()
})

t.test('a start-first update never leaves a running instance without a ready container, and a rollback at any point keeps the old one', async t => {
  const arbUpdate = fc.record({
    instances: fc.uniqueArray(arbRef, { selector: refKey, minLength: 1, maxLength: 5 }),
    checked: fc.boolean(),
    rollbackAfter: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
  })
  fc.assert(fc.property(arbUpdate, ({ instances, checked, rollbackAfter }) => {
    const spec: ContainerSpec = { image: 'i', restart: 'always', services: {} }
    const old = (ref: DesiredInstance['ref']): DesiredInstance => ({ ref, spec, specHash: 's1', run: 'running', restartGeneration: 0 })
    const actual: ActualContainer[] = instances.map((ref, i) => ({
      id: `old${i}`, name: containerName(ref), labels: modelLabels(H, old(ref)), state: 'running', createdAt: 0, ...(checked ? { health: 'healthy' as const } : {}),
    }))
    let gap = false
    const everyoneServed = (cs: ActualContainer[]) => { if (instances.some(ref => !cs.some(c => instanceOf(c) === refKey(ref) && isReady(c)))) gap = true }
    const updated = instances.map(ref => ({ ...old(ref), specHash: 's2' }))
    if (rollbackAfter === undefined) {
      converge(updated, actual, checked, everyoneServed)
      return !gap
    }
    // Part of the way, then the scheduler writes the old spec back.
    let current = actual
    let n = 0
    for (let i = 0; i < rollbackAfter; i++) {
      current = applyPlanModel(H, current, reconcile(H, updated, current, NOW), NOW, () => `new${n++}`, checked ? 'starting' : undefined)
      everyoneServed(current)
    }
    const { rounds } = converge(instances.map(old), current, checked, everyoneServed)
    const final = rounds.at(-1) ?? current
    const oldKept = instances.every((ref, i) => final.some(c => c.id === `old${i}`)) || rollbackAfter >= 2
    return !gap && oldKept && final.every(c => c.labels['io.dokkaa.spec'] === 's1')
  }), { numRuns: 300 })
  t.pass()
})

t.test('an instance with a writable volume never has two containers up at once, from the first plan on, whatever the order', async t => {
  const isUp = (c: ActualContainer) => c.state === 'running' || c.state === 'paused' || c.state === 'restarting'
  fc.assert(fc.property(arbDesired, arbActual, fc.boolean(), (desired, actual, checked) => {
    const writers = new Set(desired.filter(d => needsStopFirst(d.spec)).map(d => refKey(d.ref)))
    let twice = false
    const check = (cs: ActualContainer[]) => {
      const up = cs.filter(c => isMine(c) && isUp(c) && writers.has(instanceOf(c)))
      if (new Set(up.map(instanceOf)).size < up.length) twice = true
    }
    converge(desired, actual, checked, check)
    return !twice
  }), { numRuns: 500 })
  t.pass()
})

t.test('foreign containers survive convergence unchanged', async t => {
  fc.assert(fc.property(arbDesired, arbActual, (desired, actual) => {
    const { rounds } = converge(desired, actual)
    const final = rounds.at(-1) ?? actual
    return actual.filter(c => !isMine(c)).every(c => final.some(f => f.id === c.id && f.state === c.state))
  }), { numRuns: 300 })
  t.pass()
})
