import t from 'tap'
import { LatestOnly } from './latest-only.js'

function gate() {
  let open!: () => void
  const p = new Promise<void>(r => { open = r })
  return { p, open }
}

t.test('a key runs one task at a time; of those queued meanwhile only the newest runs', async t => {
  const order: string[] = []
  const runner = new LatestOnly(() => {})
  const g = gate()
  runner.run('k', async () => { order.push('a'); await g.p })
  runner.run('k', async () => { order.push('b') })
  runner.run('k', async () => { order.push('c') })
  runner.run('other', async () => { order.push('x') })
  t.same(order, ['a', 'x'], 'another key is not held up')
  g.open()
  await runner.idle()
  t.same(order, ['a', 'x', 'c'], 'b was superseded by c')
  t.equal(runner.size, 0, 'nothing left behind')
})

t.test('a failing task is reported and does not stop the next one', async t => {
  const errors: string[] = []
  const runner = new LatestOnly((key, err) => errors.push(`${key}: ${(err as Error).message}`))
  const g = gate()
  let ran = false
  runner.run('k', async () => { await g.p; throw new Error('etcd down') })
  runner.run('k', async () => { ran = true })
  g.open()
  await runner.idle()
  t.same(errors, ['k: etcd down'])
  t.ok(ran)
})
