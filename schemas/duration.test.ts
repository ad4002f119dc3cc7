import t from 'tap'
import fc from 'fast-check'
import { formatDuration, parseDuration } from './duration.js'

t.test('durations as users write them', async t => {
  t.equal(parseDuration('500ms'), 500)
  t.equal(parseDuration('5s'), 5000)
  t.equal(parseDuration('1.5s'), 1500)
  t.equal(parseDuration('1m30s'), 90_000)
  t.equal(parseDuration('2h'), 7_200_000)
  t.equal(parseDuration('0s'), 0)
  for (const bad of ['', '5', 's', '5 s', '-1s', '5d', '1e3s', '5S', '5s ', 'ms']) t.equal(parseDuration(bad), undefined, bad)
})

t.test('format and parse agree', async t => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 100_000_000 }), ms => parseDuration(formatDuration(ms)) === ms))
  t.equal(formatDuration(90_000), '1m30s')
  t.equal(formatDuration(1500), '1.5s')
})
