import t from 'tap'
import { JsonLineSplitter } from './json-lines.js'

t.test('lines split across chunks, CRLF, blank lines', async t => {
  const s = new JsonLineSplitter()
  t.same(s.push('{"a":1}\r\n{"b"'), [{ ok: true, value: { a: 1 } }])
  t.same(s.push(':2}\n\n'), [{ ok: true, value: { b: 2 } }])
  t.equal(s.end(), undefined)
})

t.test('a line that is not JSON is an item, not an exception', async t => {
  const s = new JsonLineSplitter()
  const out = s.push('<html>\n{"ok":true}\n')
  t.equal(out.length, 2)
  t.match(out[0], { ok: false, line: '<html>', message: /^not JSON/ })
  t.same(out[1], { ok: true, value: { ok: true } })
})

t.test('the end of the stream: a last line without newline, torn or whole', async t => {
  const torn = new JsonLineSplitter()
  torn.push('{"status":')
  t.match(torn.end(), { ok: false })
  const whole = new JsonLineSplitter()
  whole.push('{"status":"done"}')
  t.same(whole.end(), { ok: true, value: { status: 'done' } })
})

t.test('a line that never ends is cut off, not buffered for ever', async t => {
  const s = new JsonLineSplitter(10)
  t.same(s.push('12345'), [])
  t.match(s.push('6789012345'), [{ ok: false, message: /longer than 10 bytes/ }])
  t.same(s.push('{"x":1}\n'), [{ ok: true, value: { x: 1 } }])
})
