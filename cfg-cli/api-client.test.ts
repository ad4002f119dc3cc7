import t from 'tap'
import { assertNames, parseRef } from './api-client.js'
import { UsageError } from './errors.js'

t.test('references: app/name[/index], names by the contract\'s rule', async t => {
  t.same(parseRef('dummy/nginx'), { app: 'dummy', name: 'nginx' })
  t.same(parseRef('dummy/nginx/2'), { app: 'dummy', name: 'nginx', index: 2 })
  t.throws(() => parseRef('dummy/nginx/2', { index: 'forbidden' }), UsageError)
  t.throws(() => parseRef('dummy'), { message: /"dummy" is not app\/name/ })
  for (const bad of ['Dummy/nginx', 'dummy/a--b', '../x', 'dummy/ngin\u00e9x', `dummy/${'x'.repeat(64)}`, 'dum_my/x', 'dummy/x\u0000']) {
    // The name as JSON: a raw NUL in TAP output makes grep treat the whole log as binary.
    t.throws(() => parseRef(bad), { name: 'UsageError', message: /is not allowed: use a lowercase DNS label/ }, JSON.stringify(bad))
  }
  t.throws(() => assertNames('Shop', undefined, '--app: '), { message: /^--app: app "Shop" is not allowed/ })
  t.doesNotThrow(() => assertNames('shop', 'web'))
})
