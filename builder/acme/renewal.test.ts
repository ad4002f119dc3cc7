import t from 'tap'
import { nextAttemptAt, renewalDueAt, renewalReason } from './renewal.js'

const DAY = 86_400_000
const at = (ms: number) => new Date(ms).toISOString()

t.test('ordered when missing, asked for, or close to its end', async t => {
  const now = Date.parse('2026-06-01T00:00:00Z')
  const ninety = { notBefore: at(now - 10 * DAY), notAfter: at(now + 80 * DAY) }
  t.equal(renewalReason(undefined, now, false), 'no certificate yet')
  t.equal(renewalReason(ninety, now, false), undefined, '80 days left of 90: keep it')
  t.equal(renewalReason(ninety, now, true), 'renewal requested', 'forced: whatever is left')
  t.match(renewalReason({ notBefore: at(now - 61 * DAY), notAfter: at(now + 29 * DAY) }, now, false), /expires .* within 720 h/, 'fewer than 30 days left')
  t.equal(renewalReason({ notBefore: at(now - DAY), notAfter: at(now + 5 * DAY) }, now, false), undefined, 'a 6-day certificate with 5 days left is not renewed in a loop')
  t.match(renewalReason({ notBefore: at(now - 4.5 * DAY), notAfter: at(now + 1.5 * DAY) }, now, false), /expires/, 'but with less than a third of its life left it is')
  t.match(renewalReason({ notBefore: at(now - 91 * DAY), notAfter: at(now - DAY) }, now, false), /expires/, 'an expired one')
  t.equal(renewalDueAt(ninety), now + 50 * DAY)
})

t.test('failed orders back off: 1 min doubling to 1 h', async t => {
  t.equal(nextAttemptAt(1, 0), 60_000)
  t.equal(nextAttemptAt(2, 0), 120_000)
  t.equal(nextAttemptAt(20, 0), 3_600_000)
})
