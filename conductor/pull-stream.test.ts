import { PassThrough } from 'node:stream'
import t from 'tap'
import { followPull, type PullEvent } from './pull-stream.js'

const run = (feed: (s: PassThrough) => void) => {
  const s = new PassThrough()
  const events: PullEvent[] = []
  const p = followPull(s, e => events.push(e))
  feed(s)
  return { p, events, s }
}

t.test('a pull that ends well resolves after every progress line', async t => {
  const { p, events } = run(s => { s.write('{"status":"Pulling"}\n{"status":"Downl'); s.end('oaded"}\n') })
  await p
  t.same(events.map(e => e.status), ['Pulling', 'Downloaded'])
})

t.test('an error line rejects with the engine\'s message', async t => {
  const { p } = run(s => s.end('{"status":"Pulling"}\n{"errorDetail":{"message":"manifest unknown"},"error":"manifest unknown"}\n'))
  await t.rejects(p, { message: 'manifest unknown' })
})

t.test('a line that is not JSON rejects (no exception from the data handler)', async t => {
  const { p } = run(s => s.write('<html>\n'))
  await t.rejects(p, { message: /progress line that is not JSON/ })
})

t.test('a torn last line rejects', async t => {
  const { p } = run(s => s.end('{"status":'))
  await t.rejects(p, { message: /ended in the middle of a line/ })
})

t.test('a stream error, and errors after that, are handled', async t => {
  const { p, s } = run(s => s.destroy(new Error('socket hang up')))
  await t.rejects(p, { message: /the pull stream broke: socket hang up/ })
  s.emit('error', new Error('a late one'))
  t.pass('a second error is not uncaught')
})

t.test('closed before the end rejects', async t => {
  const { p } = run(s => { s.write('{"status":"Pulling"}\n'); s.destroy() })
  await t.rejects(p, { message: /closed before the engine finished/ })
})

t.test('a progress callback that throws does not fail the pull', async t => {
  const s = new PassThrough()
  const p = followPull(s, () => { throw new Error('logger broke') })
  s.end('{"status":"Pulling"}\n')
  await p
  t.pass()
})
