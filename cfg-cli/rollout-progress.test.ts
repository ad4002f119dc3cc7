// How apply --wait shows progress: bars redrawn in place on a terminal, plain lines on
// change elsewhere; and the poll loop's outcome against a stand-in builder.
import t from 'tap'
import type { ApiAppSummary, StatusRecord } from '../schemas/index.js'
import type { BuilderClient } from './api-client.js'
import { assertRolledOut, followRollouts } from './apply-wait.js'
import { ApiError } from './errors.js'
import type { Followed } from './rollout-follow.js'
import { barLine, rolloutProgress } from './rollout-progress.js'

const f = (over: Partial<Followed>): Followed => ({ ref: 'shop/web', revision: 15, state: 'rolling', done: 1, total: 3, ...over })

function stream(isTTY: boolean) {
  const chunks: string[] = []
  return { chunks, out: { isTTY, columns: 100, write: (s: string) => chunks.push(s) } }
}

t.test('on a terminal: one bar line per manifest, redrawn in place', async t => {
  const { chunks, out } = stream(true)
  const p = rolloutProgress(out)
  p.update([f({ state: 'waiting', done: 0, total: 0 }), f({ ref: 'shop/db', state: 'waiting', done: 0, total: 0 })])
  t.equal(chunks.length, 1)
  t.equal(chunks[0]!.split('\n').length - 1, 2, 'two lines')
  t.notMatch(chunks[0]!, /\x1b\[\d+A/, 'the first frame moves nowhere')
  p.update([f({ state: 'rolling', done: 1, total: 3 }), f({ ref: 'shop/db', state: 'waiting', done: 0, total: 0 })])
  t.match(chunks[1]!, /^\x1b\[2A/, 'the next frame goes back up over the last one')
  t.equal((chunks[1]!.match(/\x1b\[2K/g) ?? []).length, 2, 'and clears each line it redraws')
  t.match(chunks[1]!, /shop\/web  \[███████░░░░░░░░░░░░░\]  rolling 1\/3/)
  p.update([f({ state: 'rolling', done: 1, total: 3 }), f({ ref: 'shop/db', state: 'waiting', done: 0, total: 0 })])
  t.equal(chunks.length, 2, 'nothing changed, nothing drawn')
  t.match(barLine(f({ state: 'done', done: 3, rollout: true }), 8), /^✓ shop\/web  \[█{20}\]  rolled out revision 15 \(3\/3\)$/)
  const cut = barLine(f({ state: 'rolled-back', fromRevision: 12, reason: 'x'.repeat(200) }), 8, 100)
  t.match(cut, /^✗ shop\/web  \[█+░+\]  rolled back to revision 12: x+…$/)
  t.equal(cut.length, 99, 'cut to the terminal width')
})

t.test('elsewhere: a plain line each time a manifest\'s state changes', async t => {
  const { chunks, out } = stream(false)
  const p = rolloutProgress(out)
  p.update([f({ state: 'waiting', done: 0, total: 0 })])
  p.update([f({ state: 'rolling', done: 1 })])
  p.update([f({ state: 'rolling', done: 1 })])
  p.update([f({ state: 'rolled-back', fromRevision: 12, reason: 'instance 0 unhealthy: GET /healthz: 503' })])
  t.same(chunks.join('').split('\n'), [
    'shop/web: waiting for the scheduler (revision 15)',
    'shop/web: rolling 1/3',
    'shop/web: rolled back to revision 12: instance 0 unhealthy: GET /healthz: 503',
    '',
  ])
  t.notMatch(chunks.join(''), /\x1b/, 'no escape codes')
})

t.test('pulls: each new line once elsewhere, under the bar on a terminal', async t => {
  const pull = (n: number) => `instance 0 on h1: pulling localhost:5000/app:v2: ${n} of 5 layers`
  const plain = stream(false)
  const p = rolloutProgress(plain.out)
  p.update([f({ state: 'rolling', done: 0, pulling: [pull(1)] })])
  p.update([f({ state: 'rolling', done: 0, pulling: [pull(1)] })])
  p.update([f({ state: 'rolling', done: 0, pulling: [pull(2)] })])
  p.update([f({ state: 'rolling', done: 1 })])
  p.update([f({ state: 'done', done: 3, rollout: true, pulling: [pull(5)] })])
  t.same(plain.chunks.join('').split('\n'), [
    'shop/web: rolling 0/3', `shop/web: ${pull(1)}`, `shop/web: ${pull(2)}`, 'shop/web: rolling 1/3', 'shop/web: rolled out revision 15 (3/3)', '',
  ], 'a pull line when it is new or moved, never the same one twice; none once ended')

  const tty = stream(true)
  const q = rolloutProgress(tty.out)
  q.update([f({ state: 'rolling', done: 0, pulling: [pull(1)] })])
  t.match(tty.chunks[0]!, new RegExp(`rolling 0/3\n\\r\x1b\\[2K    ${pull(1)}\n$`), 'the pull under the bar, indented')
  q.update([f({ state: 'rolling', done: 1 })])
  t.match(tty.chunks[1]!, /^\x1b\[2A/, 'back over both lines')
  t.equal((tty.chunks[1]!.match(/\x1b\[2K/g) ?? []).length, 2, 'and the line the pull took is cleared')
})

t.test('the poll loop: matched on revision, builder hiccups ridden out, timeout', async t => {
  const statuses: (Partial<StatusRecord> | Error)[] = [
    { phase: 'Running', revision: 12, validRevision: 12, running: 1, desired: 1 },
    new ApiError('cannot reach the builder'),
    { phase: 'Updating', revision: 15, rollout: { state: 'rolling', from: { revision: 12, specHash: 'a' }, to: { revision: 15, specHash: 'b' }, updated: 0, total: 1, startedAt: 's' } },
    { phase: 'Running', revision: 15, validRevision: 15, rollout: { state: 'completed', from: { revision: 12, specHash: 'a' }, to: { revision: 15, specHash: 'b' }, updated: 1, total: 1, startedAt: 's' } },
  ]
  let calls = 0
  const api = {
    async json(_method: string, path: string): Promise<ApiAppSummary> {
      t.equal(path, '/api/v1/apps/shop')
      const s = statuses[Math.min(calls++, statuses.length - 1)]!
      if (s instanceof Error) throw s
      return { app: 'shop', manifests: [{ app: 'shop', name: 'web', manifest: {}, revision: 15, createdRevision: 1, status: s }] }
    },
  } as unknown as BuilderClient
  const seen: string[] = []
  const progress = { update: (all: readonly Followed[]) => seen.push(all[0]!.state) }
  let clock = 0
  const opts = { timeoutMs: 60_000, progress, now: () => clock, sleep: async (ms: number) => { clock += ms } }
  const done = await followRollouts(api, [{ app: 'shop', name: 'web', revision: 15 }], opts)
  t.equal(done[0]!.state, 'done')
  t.equal(calls, 4, 'one read per round until it ended')
  t.same([...new Set(seen)], ['waiting', 'rolling', 'done'])
  t.doesNotThrow(() => assertRolledOut(done, 60_000))

  calls = 0
  clock = 0
  statuses.splice(2)
  const late = await followRollouts(api, [{ app: 'shop', name: 'web', revision: 15 }], { ...opts, timeoutMs: 5_000 })
  t.equal(late[0]!.state, 'timed-out')
  t.throws(() => assertRolledOut(late, 5_000), { code: 'DKA_CFG_WAIT_TIMEOUT', exitCode: 9, message: /gave up waiting after 5s:\nshop\/web: not rolled out yet: waiting for the scheduler \(revision 15\)/ })
  t.throws(() => assertRolledOut([...late, f({ state: 'paused', reason: 'r' })], 5_000), { code: 'DKA_CFG_ROLLOUT_FAILED', exitCode: 8 }, 'a failure outranks a timeout')
})
