import t from 'tap'
import { chunkGroups, chunks, MAX_BYTES_PER_TXN, MAX_OPS_PER_TXN } from './write-plan.js'

const put = (i: number, size: number) => ({ kind: 'put' as const, key: `/k/${i}`, value: 'x'.repeat(size) })

t.test('plans are cut by count and by bytes, in order', async t => {
  const many = Array.from({ length: 250 }, (_, i) => put(i, 10))
  t.same(chunks(many).map(c => c.length), [MAX_OPS_PER_TXN, MAX_OPS_PER_TXN, 50])
  const big = Array.from({ length: 40 }, (_, i) => put(i, 60 * 1024))
  const cut = chunks(big)
  t.ok(cut.every(c => c.reduce((n, op) => n + op.value.length, 0) <= MAX_BYTES_PER_TXN), 'every transaction under the byte limit')
  t.same(cut.flat(), big, 'nothing lost or reordered')
  t.same(chunks([put(1, 2 * MAX_BYTES_PER_TXN), put(2, 1)]).map(c => c.length), [1, 1], 'an oversized op goes alone')
  t.same(chunks([]), [])
})

t.test('a group (a volume home and its assignment) is never cut in two', async t => {
  const groups = [[put(0, 10)], [put(1, 10), put(2, 10)], [put(3, 10)]]
  t.same(chunkGroups(groups, 2).map(c => c.map(op => op.key)), [['/k/0'], ['/k/1', '/k/2'], ['/k/3']])
  t.same(chunkGroups(groups, 3).map(c => c.length), [3, 1])
  t.same(chunkGroups([[put(0, 10)], [put(1, 600 * 1024), put(2, 600 * 1024)]]).map(c => c.length), [1, 2], 'a group over the byte limit goes alone')
})
