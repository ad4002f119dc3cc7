import t from 'tap'
import { PasswordLimiter } from './password-limiter.js'

function limiter(max = 3, windowMs = 60_000) {
  let now = 1_000_000
  const l = new PasswordLimiter({ max, windowMs }, () => now)
  return { l, tick: (ms: number) => { now += ms } }
}

const wrong = (l: PasswordLimiter, user: string, addr: string) => {
  const v = l.begin(user, addr)
  if (v.ok) v.done(false)
  return v.ok ? 'checked' : `refused by ${v.by}`
}

t.test('wrong passwords count per user and per address; right ones do not', async t => {
  const { l, tick } = limiter()
  t.same([wrong(l, 'root', 'a1'), wrong(l, 'root', 'a2'), wrong(l, 'root', 'a3'), wrong(l, 'root', 'a4')], ['checked', 'checked', 'checked', 'refused by user'])
  t.equal(wrong(l, 'alice', 'a1'), 'checked', 'another user from the same address')
  t.same([wrong(l, 'u1', 'x'), wrong(l, 'u2', 'x'), wrong(l, 'u3', 'x'), wrong(l, 'u4', 'x')], ['checked', 'checked', 'checked', 'refused by address'])
  const right = l.begin('bob', 'b')
  t.ok(right.ok)
  if (right.ok) right.done(true)
  for (let i = 0; i < 10; i++) { const v = l.begin('bob', 'b'); if (v.ok) v.done(true) }
  t.ok(l.begin('bob', 'b').ok, 'correct passwords are never limited')
  const refused = l.begin('root', 'a9')
  t.equal(refused.ok, false)
  if (!refused.ok) t.equal(refused.retryAfterMs, 60_000, 'retry once the oldest failure leaves the window')
  tick(30_000)
  const later = l.begin('root', 'a9')
  if (!later.ok) t.equal(later.retryAfterMs, 30_000)
  tick(30_001)
  t.ok(l.begin('root', 'a9').ok, 'the window has passed')
})

t.test('checks in flight count, so parallel guesses cannot overrun the limit', async t => {
  const { l } = limiter()
  const verdicts = Array.from({ length: 10 }, () => l.begin('root', 'a'))
  t.equal(verdicts.filter(v => v.ok).length, 3)
  for (const v of verdicts) if (v.ok) v.done(true)
  t.ok(l.begin('root', 'a').ok, 'correct ones release their place')
})

t.test('a flood of names does not grow the table without bound', async t => {
  const { l } = limiter(3)
  for (let i = 0; i < 30_000; i++) wrong(l, `user${i}`, `10.0.${i >> 8}.${i & 255}`)
  t.ok((l as unknown as { failures: Map<string, unknown> }).failures.size <= 20_001)
})
