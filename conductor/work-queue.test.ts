import t from 'tap'
import { WorkQueue } from './work-queue.js'

const tick = () => new Promise(r => setTimeout(r, 5))

t.test('a key waiting is not added twice; a key in progress runs again once', async t => {
  const runs: string[] = []
  let release!: () => void
  const gate = new Promise<void>(r => { release = r })
  const q = new WorkQueue(async key => {
    runs.push(key)
    if (runs.length === 1) await gate
  }, 1, () => {})
  q.add('a')
  await tick()
  q.add('a'); q.add('a'); q.add('b'); q.add('b')
  release()
  await q.idle()
  await tick()
  await q.idle()
  t.same(runs, ['a', 'b', 'a'])
})

t.test('failures retry with backoff and are reported', async t => {
  let calls = 0
  const errors: number[] = []
  const q = new WorkQueue(async () => {
    calls++
    if (calls < 3) throw new Error('boom')
  }, 2, (_k, _e, n) => errors.push(n))
  q.add('k')
  while (calls < 3) await tick()
  await q.idle()
  t.same(errors, [1, 2])
  t.equal(q.failureCount('k'), 0, 'success resets the backoff')
  await q.stop()
})

t.test('concurrency is bounded; stop waits for work in progress', async t => {
  let now = 0
  let peak = 0
  const q = new WorkQueue(async () => {
    now++
    peak = Math.max(peak, now)
    await tick()
    now--
  }, 3, () => {})
  for (let i = 0; i < 10; i++) q.add(`k${i}`)
  await tick()
  await q.stop()
  t.equal(now, 0)
  t.ok(peak <= 3 && peak > 0, `peak ${peak}`)
})

t.test('a key backing off is not run early by add(), but a fresh add runs it now', async t => {
  let calls = 0
  const q = new WorkQueue(async () => {
    calls++
    throw new Error('still broken')
  }, 1, () => {})
  q.add('k')
  while (calls < 1) await tick()
  await q.idle()
  q.add('k')
  await tick()
  t.equal(calls, 1, 'resync during backoff does not retry')
  t.equal(q.failureCount('k'), 1)
  q.add('k', true)
  while (calls < 2) await tick()
  t.equal(calls, 2, 'a changed assignment retries at once')
  await q.stop()
})
