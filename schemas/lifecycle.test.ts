import t from 'tap'
import { applyVerb, desiredState, stateReport } from './lifecycle.js'

t.test('verbs on a whole manifest set its state and clear instance overrides', async t => {
  let c = applyVerb(undefined, 'stop')
  t.same(c, { state: 'stopped' })
  c = applyVerb(c, 'pause', 1)
  t.same(c, { state: 'stopped', instances: { 1: { state: 'paused' } } })
  t.equal(desiredState(c, 1), 'paused')
  t.equal(desiredState(c, 0), 'stopped')
  c = applyVerb(c, 'start')
  t.same(c, { state: 'running' })
  t.same(applyVerb({ state: 'paused' }, 'unpause'), { state: 'running' })
})

t.test('restart bumps a generation and asks for running', async t => {
  let c = applyVerb({ state: 'stopped' }, 'restart')
  t.same(c, { state: 'running', restartGeneration: 1 })
  c = applyVerb(c, 'restart', 2)
  c = applyVerb(c, 'restart', 2)
  t.same(c.instances, { 2: { state: 'running', restartGeneration: 2 } })
  // a manifest-wide verb keeps an instance's restart generation (the conductor compares it)
  c = applyVerb(c, 'stop')
  t.same(c, { state: 'stopped', restartGeneration: 1, instances: { 2: { restartGeneration: 2 } } })
})

t.test('state reports desired against actual per instance', async t => {
  const inst = (index: number, state: 'running' | 'paused') => ({
    index, state, host: 'h1', hostAddress: '10.0.0.1', containerId: 'c', containerName: 'n', specHash: 's',
    ports: {}, restarts: 0, updatedAt: '',
  })
  const r = stateReport(2, { instances: { 1: { state: 'paused' } } }, [inst(0, 'running'), inst(1, 'running'), inst(2, 'running')])
  t.same(r.map(x => [x.index, x.desired, x.actual, x.converged]), [
    [0, 'running', 'running', true],
    [1, 'paused', 'running', false],
    [2, 'stopped', 'running', false],
  ])
  t.same(stateReport(1, { state: 'stopped' }, []).map(x => x.converged), [true])
})
