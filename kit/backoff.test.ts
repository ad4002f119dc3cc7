import t from 'tap'
import fc from 'fast-check'
import { backoffDelay, RESYNC_BACKOFF } from './backoff.js'
import { singleFlight } from './single-flight.js'

t.test('backoff doubles from the base to the cap', async t => {
  t.same([0, 1, 2, 3, 4, 5, 6].map(a => backoffDelay(a)), [500, 1000, 2000, 4000, 8000, 10_000, 10_000])
  t.equal(backoffDelay(-1), RESYNC_BACKOFF.baseMs)
  t.equal(backoffDelay(Number.NaN), RESYNC_BACKOFF.baseMs)
  fc.assert(fc.property(fc.nat({ max: 10_000 }), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1000, max: 100_000 }), (a, baseMs, maxMs) => {
    const d = backoffDelay(a, { baseMs, maxMs })
    return d >= Math.min(baseMs, maxMs) && d <= maxMs && backoffDelay(a + 1, { baseMs, maxMs }) >= d
  }))
})

t.test('single flight: one run at a time, shared; a failure is not cached', async t => {
  let runs = 0
  let fail = true
  const task = singleFlight(async () => {
    runs++
    await new Promise(r => setTimeout(r, 10))
    if (fail) throw new Error('down')
    return runs
  })
  const [a, b] = await Promise.allSettled([task(), task()])
  t.equal(runs, 1, 'two callers, one run')
  t.equal(a.status, 'rejected')
  t.equal(b.status, 'rejected')
  fail = false
  t.equal(await task(), 2, 'the next call runs again')
})
