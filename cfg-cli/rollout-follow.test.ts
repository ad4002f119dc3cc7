// apply --wait's reading of a manifest view: matched on the revision it put, never ended by
// an older revision's status or rollout.
import t from 'tap'
import type { ApiManifestView, RolloutStatus, StatusRecord } from '../schemas/index.js'
import { describe, describeLines, follow, isFinal, timedOut } from './rollout-follow.js'

const target = { app: 'shop', name: 'web', revision: 15 }
const rollout = (r: Partial<RolloutStatus>): RolloutStatus => ({
  state: 'rolling', from: { revision: 12, specHash: 'a' }, to: { revision: 15, specHash: 'b' }, updated: 0, total: 3, startedAt: 's', ...r,
})
const view = (status?: Partial<StatusRecord>, revision = 15): ApiManifestView => ({ app: 'shop', name: 'web', manifest: {}, revision, createdRevision: 3, status })

t.test('an older revision\'s status or rollout does not end the wait', async t => {
  t.equal(follow(target, view()).state, 'waiting', 'no status yet')
  t.equal(follow(target, view({ phase: 'Running', revision: 12, validRevision: 12, running: 3, desired: 3, rollout: rollout({ state: 'completed', to: { revision: 12, specHash: 'a' } }) })).state, 'waiting',
    'the last deploy completed: still waiting for this one')
  t.equal(follow(target, view({ phase: 'Updating', revision: 15, rollout: rollout({ state: 'completed', to: { revision: 12, specHash: 'a' } }) })).state, 'converging',
    'read, but the rollout shown is the old one')
  t.equal(follow(target, view({ phase: 'Running', revision: 15, validRevision: 12, running: 3, desired: 3 })).state, 'converging', 'running, but not this revision')
})

t.test('a rollout to this revision: its state decides', async t => {
  const rolling = follow(target, view({ phase: 'Updating', revision: 15, rollout: rollout({ updated: 1 }) }))
  t.match(rolling, { state: 'rolling', done: 1, total: 3 })
  t.equal(describe(rolling), 'rolling 1/3')
  const done = follow(target, view({ phase: 'Running', revision: 15, validRevision: 15, rollout: rollout({ state: 'completed', updated: 3 }) }))
  t.ok(isFinal(done))
  t.equal(describe(done), 'rolled out revision 15 (3/3)')
  const back = follow(target, view({ phase: 'RolledBack', revision: 15, validRevision: 12, rollout: rollout({ state: 'rolled-back', updated: 0, reason: 'instance 0 unhealthy: GET /healthz: 503' }) }))
  t.equal(describeLines(back)[0], 'shop/web: rolled back to revision 12: instance 0 unhealthy: GET /healthz: 503')
  const paused = follow(target, view({ phase: 'Paused', revision: 15, rollout: rollout({ state: 'paused', updated: 1, reason: 'instance 1 crash-looping' }) }))
  t.equal(describe(paused), 'paused at 1/3: instance 1 crash-looping')
})

t.test('no rollout (first deploy, same spec): done once every instance runs this revision', async t => {
  t.equal(describe(follow(target, view({ phase: 'Pending', revision: 15, validRevision: 15, running: 0, desired: 2 }))), 'Pending, 0/2 running')
  t.equal(describe(follow(target, view({ phase: 'Running', revision: 15, validRevision: 15, running: 2, desired: 2 }))), 'running revision 15 (2/2)')
  t.equal(follow(target, view({ phase: 'Stopped', revision: 15, validRevision: 15, running: 0, desired: 0 })).state, 'done', 'scaled to 0')
})

t.test('invalid, replaced, deleted, timed out', async t => {
  const invalid = follow(target, view({ phase: 'Invalid', revision: 15, validRevision: 12, errors: [{ path: '/scale', message: 'must be integer' }] }))
  t.same(describeLines(invalid), ['shop/web: revision 15 is invalid (1 error)', '  /scale: must be integer'])
  t.equal(describe(follow(target, view({ phase: 'Running', revision: 12 }, 16))), 'revision 15 was replaced by revision 16 before it rolled out')
  t.equal(follow(target, undefined).state, 'deleted')
  const rolling = follow(target, view({ phase: 'Updating', revision: 15, rollout: rollout({ updated: 2 }) }))
  t.equal(describe(timedOut(rolling)), 'not rolled out yet: rolling 2/3')
  t.equal(timedOut(invalid), invalid, 'an ended target stays as it ended')
})

t.test('pulls: said while this revision is on its way, and in a timeout\'s lines', async t => {
  const pull = 'instance 0 on h1: pulling localhost:5000/app:v2: 2 of 5 layers, 12.0 of 40.1 MB'
  const rolling = follow(target, view({ phase: 'Updating', revision: 15, pulling: [pull], rollout: rollout({ updated: 0 }) }))
  t.same(rolling.pulling, [pull], 'rolling')
  t.same(follow(target, view({ phase: 'Pending', revision: 15, validRevision: 15, running: 0, desired: 1, pulling: [pull] })).pulling, [pull], 'a first deploy')
  t.equal(follow(target, view({ phase: 'Running', revision: 12, pulling: [pull] })).pulling, undefined, 'not an older revision\'s')
  t.equal(follow(target, view({ phase: 'Running', revision: 15, validRevision: 15, running: 1, desired: 1, pulling: [pull] })).pulling, undefined, 'not once done')
  t.equal(follow(target, view({ phase: 'Updating', revision: 15, pulling: [], rollout: rollout({}) })).pulling, undefined, 'none: absent')
  t.same(describeLines(rolling), ['shop/web: rolling 0/3'], 'not in the state\'s own lines')
  t.same(describeLines(timedOut(rolling)), ['shop/web: not rolled out yet: rolling 0/3', `  ${pull}`], 'a timeout says what it was pulling')
})
