import t from 'tap'
import { LogOnce, shown } from './log-once.js'

t.test('once per key and version; again after a change or forget', async t => {
  const once = new LogOnce()
  t.ok(once.first('/a', 5))
  t.notOk(once.first('/a', 5), 'the same version is not news')
  t.ok(once.first('/a', 6), 'a new version is')
  once.forget('/a')
  t.ok(once.first('/a', 6), 'forgotten: news again')
})

t.test('bounded: the oldest entries go first', async t => {
  const once = new LogOnce(3)
  for (const k of ['a', 'b', 'c', 'd']) once.first(k)
  t.equal(once.size, 3)
  t.ok(once.first('a'), 'the oldest was forgotten')
  t.notOk(once.first('d'))
})

t.test('shown: control characters escaped, long strings cut', async t => {
  t.equal(shown('a\u0000b\nc'), 'a\\u0000b\\u000ac')
  t.equal(shown('x'.repeat(10), 4), 'xxxx… (10 chars)')
})
