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

t.test('runAndWait resolves once its task, or the newer one that replaced it, has run', async t => {
  const order: string[] = []
  const runner = new LatestOnly(() => {})
  const g = gate()
  runner.run('k', async () => { order.push('a'); await g.p })
  const waited = runner.runAndWait('k', async () => { order.push('b') }).then(() => order.push('b waited'))
  runner.run('k', async () => { order.push('c') })
  await new Promise(r => setImmediate(r))
  t.same(order, ['a'], 'not before the running task ends')
  g.open()
  await waited
  t.same(order, ['a', 'c', 'b waited'], 'b was replaced by c; its caller was answered when c ran')
  const failing = new LatestOnly(() => {})
  await failing.runAndWait('k', async () => { throw new Error('etcd down') })
  t.pass('a failed task answers its waiters too')
})
