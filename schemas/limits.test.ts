import t from 'tap'
import fc from 'fast-check'
import { countProblems, DEFAULT_LIMITS, effectiveLimits, jsonTextDepth, textProblems, valueDepth } from './limits.js'

t.test('the policy tightens limits and never widens them', async t => {
  t.same(effectiveLimits(undefined), DEFAULT_LIMITS)
  t.equal(effectiveLimits({ bytes: 1024 }).bytes, 1024)
  t.equal(effectiveLimits({ bytes: 10 * 1024 * 1024 }).bytes, DEFAULT_LIMITS.bytes)
  t.equal(effectiveLimits({ env: -1 }).env, DEFAULT_LIMITS.env)
  t.equal(effectiveLimits({ env: 1.5 }).env, DEFAULT_LIMITS.env)
})

t.test('text depth counts brackets outside strings and stops early', async t => {
  t.equal(jsonTextDepth('{"a": [1, {"b": "[[[{{{"}]}'), 3)
  t.equal(jsonTextDepth('"\\"[["'), 0, 'escaped quotes keep the string open')
  t.equal(jsonTextDepth('['.repeat(5000) + ']'.repeat(5000), 9), 10, 'stops just past the bound')
  t.equal(valueDepth({ a: [1, { b: 2 }] }), 3)
  t.equal(valueDepth(5), 0)
})

t.test('text depth equals the parsed value depth for any JSON', async t => {
  fc.assert(fc.property(fc.json({ maxDepth: 12 }), text => jsonTextDepth(text) === valueDepth(JSON.parse(text))), { numRuns: 2000 })
})

t.test('a 5,000-level value is measured without recursion', async t => {
  let v: unknown = 1
  for (let i = 0; i < 100_000; i++) v = [v]
  t.equal(valueDepth(v, 8), 9)
  t.equal(valueDepth(v), 100_000)
})

t.test('size and count problems name the limit', async t => {
  t.match(textProblems('x'.repeat(DEFAULT_LIMITS.bytes + 1), DEFAULT_LIMITS)[0]?.message, /limits\.bytes/)
  t.match(textProblems('['.repeat(20), DEFAULT_LIMITS)[0]?.message, /deeper than 8 levels \(limits\.depth\)/)
  t.same(textProblems('{"image": "x"}', DEFAULT_LIMITS), [])
  const env = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`E${i}`, 'v']))
  t.same(countProblems({ env }, DEFAULT_LIMITS), [{ path: '/env', message: 'env has 300 entries; the limit is 256 (limits.env)' }])
  t.same(countProblems({ dockerflags: { CapDrop: Array(300).fill('X') } }, DEFAULT_LIMITS).map(e => e.path), ['/dockerflags/CapDrop'])
})
