import fc from 'fast-check'
import t from 'tap'
import { parseBoundedJson, parseBoundedObject } from './bounded-json.js'

t.test('JSON within the bounds parses; anything else is undefined, never a throw', async t => {
  t.same(parseBoundedJson('{"a":[1,{"b":2}]}'), { a: [1, { b: 2 }] })
  t.equal(parseBoundedJson('{"a":'), undefined, 'broken JSON')
  t.equal(parseBoundedJson(undefined), undefined)
  t.equal(parseBoundedJson('"x"'.padEnd(20, ' '), { chars: 10, depth: 4 }), undefined, 'too long')
  t.equal(parseBoundedJson('[[[[1]]]]', { chars: 100, depth: 3 }), undefined, 'too deep')
  t.same(parseBoundedJson('[[[1]]]', { chars: 100, depth: 3 }), [[[1]]], 'exactly as deep as allowed')
  t.equal(parseBoundedJson('['.repeat(200_000) + ']'.repeat(200_000)), undefined, '200,000 levels: refused without parsing')
  t.equal(parseBoundedObject('[1]'), undefined, 'an array is not an object')
  t.equal(parseBoundedObject('null'), undefined)
  t.same(parseBoundedObject('{"a":1}'), { a: 1 })
  fc.assert(fc.property(fc.string({ unit: 'binary' }), s => { parseBoundedJson(s); parseBoundedObject(s); return true }))
  fc.assert(fc.property(fc.json({ maxDepth: 10 }), s => parseBoundedJson(s, { chars: 1e6, depth: 20 }) !== undefined), { numRuns: 500 })
})
