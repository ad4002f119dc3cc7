import t from 'tap'
import { parsePortValue, pickFreePort } from './port-allocation.js'

t.test('the lowest free port of the range', async t => {
  t.equal(pickFreePort(new Set(), { from: 5, to: 9 }), 5)
  t.equal(pickFreePort(new Set([5, 6, 8]), { from: 5, to: 9 }), 7)
  t.throws(() => pickFreePort(new Set([5, 6]), { from: 5, to: 6 }), { code: 'PORT_RANGE_EXHAUSTED', message: /no free proxy port left in 5-6; widen --port-range/ })
})

t.test('stored port values', async t => {
  t.equal(parsePortValue('20000'), 20000)
  t.equal(parsePortValue(' 80 '), 80)
  for (const bad of ['', 'x', '0', '70000', '-1', '1e3', '80.5']) t.equal(parsePortValue(bad), undefined, bad)
})
