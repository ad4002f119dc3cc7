import t from 'tap'
import { host, GiB } from './plan-fixtures.js'
import { place, shiftLoad, type Load } from './placement.js'
import { parseMemory, formatMemory, needOf } from './resources.js'

const req = (over: Partial<Parameters<typeof place>[3]> = {}) =>
  ({ manifest: 'a/web', need: { cpus: 0, memory: 0 }, constraints: {}, ...over })

t.test('memory sizes parse like Docker (binary units)', async t => {
  t.equal(parseMemory('512m'), 512 * 1024 ** 2)
  t.equal(parseMemory('1g'), GiB)
  t.equal(parseMemory('1.5G'), 1.5 * GiB)
  t.equal(parseMemory('2048'), 2048)
  t.equal(parseMemory('64k'), 65536)
  t.throws(() => parseMemory('lots'))
  t.equal(formatMemory(512 * 1024 ** 2), '512m')
  t.same(needOf({ resources: { cpus: 0.5, memory: '1g' } }), { cpus: 0.5, memory: GiB })
  t.same(needOf({}), { cpus: 0, memory: 0 })
})

t.test('spreads by count, ties broken by host id', async t => {
  const hosts = [host('h2'), host('h1'), host('h3')]
  const { placements } = place([0, 1, 2, 3], hosts, new Map(), req())
  t.same(placements, [{ index: 0, host: 'h1' }, { index: 1, host: 'h2' }, { index: 2, host: 'h3' }, { index: 3, host: 'h1' }])
})

t.test('fewest assigned instances first, counting other manifests', async t => {
  let load: Load = new Map()
  for (let i = 0; i < 3; i++) load = shiftLoad(load, 'h1', 'b/db', { cpus: 0, memory: 0 }, 1)
  load = shiftLoad(load, 'h2', 'b/db', { cpus: 0, memory: 0 }, 1)
  const { placements } = place([0], [host('h1'), host('h2'), host('h3')], load, req())
  t.same(placements, [{ index: 0, host: 'h3' }])
})

t.test('anti-affinity: a manifest spreads over hosts before stacking, even onto busier ones', async t => {
  let load: Load = new Map()
  for (let i = 0; i < 5; i++) load = shiftLoad(load, 'h1', 'b/db', { cpus: 0, memory: 0 }, 1)
  const { placements } = place([0, 1], [host('h1'), host('h2')], load, req())
  t.same(placements, [{ index: 0, host: 'h2' }, { index: 1, host: 'h1' }])
})

t.test('constraints: only hosts whose labels equal', async t => {
  const hosts = [host('h1', { labels: { zone: 'eu' } }), host('h2', { labels: { zone: 'us' } }), host('h3')]
  const { placements } = place([0, 1], hosts, new Map(), req({ constraints: { zone: 'us' } }))
  t.same(placements, [{ index: 0, host: 'h2' }, { index: 1, host: 'h2' }])
  const none = place([0], hosts, new Map(), req({ constraints: { zone: 'asia' } })).placements[0]!
  t.match(none, { index: 0, unschedulable: 'no live host has the labels zone=asia' })
})

t.test('fit: cpus and memory against what is already assigned', async t => {
  const hosts = [host('h1', { cpus: 2, memory: 1 * GiB }), host('h2', { cpus: 1, memory: 4 * GiB })]
  const need = { cpus: 1, memory: parseMemory('512m') }
  const { placements, load } = place([0, 1, 2, 3], hosts, new Map(), req({ need }))
  t.same(placements.slice(0, 3), [{ index: 0, host: 'h1' }, { index: 1, host: 'h2' }, { index: 2, host: 'h1' }])
  t.match(placements[3], { index: 3, unschedulable: /no host has room for 1 cpus and 512m memory \(h2 has 0 cpus and 3.5g free; h1 has 0 cpus and 0b free\)/ })
  t.equal(load.get('h1')?.count, 2)
  t.equal(load.get('h1')?.cpus, 2)
})

t.test('fractional cpus add up without rounding trouble', async t => {
  const { placements } = place([0, 1, 2], [host('h1', { cpus: 0.3 })], new Map(), req({ need: { cpus: 0.1, memory: 0 } }))
  t.same(placements.map(p => 'host' in p), [true, true, true])
})

t.test('no live host at all', async t => {
  t.same(place([0], [], new Map(), req()).placements, [{ index: 0, unschedulable: 'no live host' }])
})

t.test('instances without resources always fit; hosts reporting 0 are unlimited', async t => {
  const { placements } = place([0], [host('h1', { cpus: 0, memory: 0 })], new Map(), req({ need: { cpus: 8, memory: GiB } }))
  t.same(placements, [{ index: 0, host: 'h1' }])
})
