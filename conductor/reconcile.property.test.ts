import fc from 'fast-check'
import t from 'tap'
import type { ContainerSpec } from '../schemas/index.js'
import { applyPlanModel, modelLabels } from './apply-plan-model.js'
import type { ActualContainer, ContainerState, DesiredInstance } from './model.js'
import { refKey } from './model.js'
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
  }).map(r => ({ ref: r.ref, specHash: r.specHash, run: r.run, restartGeneration: r.restartGeneration, spec: { image: 'i', restart: r.restart, services: {} } })),
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
  }),
  { maxLength: 12 },
).map(list => list.map((r, i) => {
  const d: DesiredInstance = { ref: r.ref, specHash: r.hash, run: 'running', restartGeneration: 0, spec: { image: 'i', restart: 'always', services: {} } }
  const labels = r.host === '' ? { other: 'label' } : modelLabels(r.host, d)
  return { id: `c${i}`, name: `n${i}`, labels, state: r.state, createdAt: r.createdAt, exitCode: r.exitCode, stoppedByUs: r.stoppedByUs, restartGeneration: r.restartGeneration }
}))

const isMine = (c: ActualContainer) => c.labels['io.dokkaa.host'] === H

function converge(desired: DesiredInstance[], actual: ActualContainer[]): { rounds: ActualContainer[][]; last: ReturnType<typeof reconcile> } {
  let n = 0
  const newId = () => `new${n++}`
  let current = actual
  const rounds: ActualContainer[][] = []
  let plan = reconcile(H, desired, current, NOW)
  for (let i = 0; i < 12 && plan.steps.length > 0; i++) {
    current = applyPlanModel(H, current, plan, NOW, newId)
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

t.test('after applying a plan, never more containers than desired (and one per instance)', async t => {
  fc.assert(fc.property(arbDesired, arbActual, (desired, actual) => {
    const after = applyPlanModel(H, actual, reconcile(H, desired, actual, NOW), NOW, (() => { let n = 0; return () => `n${n++}` })())
    const mine = after.filter(isMine)
    const wanted = new Set(desired.map(d => refKey(d.ref)))
    const keys = mine.map(c => `${c.labels['io.dokkaa.app']}/${c.labels['io.dokkaa.name']}/${c.labels['io.dokkaa.instance']}`)
    return mine.length <= desired.length && new Set(keys).size === keys.length && keys.every(k => wanted.has(k))
  }), { numRuns: 500 })
  t.pass()
})

t.test('converges, and then reconcile(applied) is an empty plan', async t => {
  fc.assert(fc.property(arbDesired, arbActual, (desired, actual) => {
    const { rounds, last } = converge(desired, actual)
    // One round, plus one per rolling replacement held back.
    return last.steps.length === 0 && last.deferred === 0 && rounds.length <= 1 + desired.length
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
