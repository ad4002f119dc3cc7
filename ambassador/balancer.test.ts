import t from 'tap'
import { Balancer, tryOrder } from './balancer.js'
import type { Backend } from './service-table.js'

const b = (port: number): Backend => ({ app: 'a', service: 's', leaf: `s-${port}`, host: '10.0.0.1', port, role: 'tcp' })

t.test('rotation', async (t) => {
  t.same(tryOrder([1, 2, 3], 0, () => false), [1, 2, 3])
  t.same(tryOrder([1, 2, 3], 4, () => false), [2, 3, 1])
  t.same(tryOrder([1, 2, 3], 1, (x) => x === 2), [3, 1, 2])
  t.same(tryOrder([], 3, () => false), [])
})

t.test('round-robin per service, failed backends last until the quarantine ends', async (t) => {
  let now = 1000
  const bal = new Balancer(() => now, 2000)
  const list = [b(1), b(2), b(3)]
  t.same([0, 1, 2, 3].map(() => bal.order('x', list)[0]!.port), [1, 2, 3, 1])
  t.equal(bal.order('y', list)[0]!.port, 1, 'another service has its own turn')
  bal.failed(list[1]!)
  t.same(bal.order('x', list).map((x) => x.port), [3, 1, 2])
  t.same(bal.order('x', list).map((x) => x.port), [3, 1, 2], 'its turn comes: still tried last')
  now += 2001
  t.same(bal.order('x', list).map((x) => x.port), [1, 2, 3])
  bal.failed(list[1]!)
  bal.succeeded(list[1]!)
  t.same(bal.order('x', list).map((x) => x.port), [2, 3, 1], 'a success lifts the quarantine')
  bal.prune(new Set(), new Set())
  t.same(bal.order('x', list).map((x) => x.port), [1, 2, 3], 'pruned services start over')
})
