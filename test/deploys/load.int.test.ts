// The zero-downtime tests are only as good as their client: it must count every failure a
// user would see, by kind, and nothing else. Loopback servers that answer right, answer
// 503, answer the wrong body, reset the connection, or are not there at all.
import { createServer, type Server } from 'node:http'
import t from 'tap'
import { freeTcpPort } from '../../ambassador/testing/fixtures.js'
import { describeFailures, sendBurst, startLoad, type StreamSpec } from './load.js'

async function server(t: Tap, handler: Parameters<typeof createServer>[1]): Promise<number> {
  const s: Server = createServer(handler)
  await new Promise<void>(r => s.listen(0, '127.0.0.1', r))
  t.teardown(() => { s.closeAllConnections(); s.close() })
  return (s.address() as { port: number }).port
}
type Tap = { teardown(fn: () => unknown): void }

const stream = (port: number, keepAlive: boolean): StreamSpec => ({ name: keepAlive ? 'kept' : 'new', host: '127.0.0.1', port, path: '/', keepAlive, rate: 200 })

async function run(specs: StreamSpec[], n: number) {
  const load = startLoad(specs, body => body === 'v1')
  while (load.nextSeq() < n) await new Promise(r => setTimeout(r, 10))
  return load.stop()
}

t.test('every answer counted; right answers are no failures, on kept-alive and new connections', async t => {
  const port = await server(t, (_req, res) => res.end('v1\n'))
  const report = await run([stream(port, true), stream(port, false)], 100)
  t.equal(report.failures.length, 0, describeFailures(report))
  t.equal(report.answered, report.sent, 'every request answered')
  t.same(Object.keys(report.bodies), ['v1'])
  t.ok(report.streams.every(s => s.sent > 0), 'both streams sent')
})

t.test('non-2xx, wrong bodies, resets and refused connections are each failures, by kind', async t => {
  let i = 0
  const port = await server(t, (req, res) => {
    switch (i++ % 4) {
      case 1: res.statusCode = 503; res.end('down'); break
      case 2: res.end('v9'); break
      case 3: req.socket.destroy(); break
      default: res.end('v1')
    }
  })
  const report = await run([stream(port, false)], 80)
  const kinds = report.failures.map(f => f.error !== undefined ? 'error' : f.status === 503 ? '503' : 'body')
  t.ok(kinds.includes('503') && kinds.includes('body') && kinds.includes('error'), `503s, wrong bodies and resets all counted: ${describeFailures(report)}`)
  t.equal(report.failures.length + (report.bodies['v1'] ?? 0), report.sent, 'each request is either right or a failure')
  t.match(describeFailures(report), /status 503 "down"/)
  t.match(describeFailures(report), /wrong body "v9"/)
  t.match(describeFailures(report), /ECONNRESET|socket hang up/)

  const closed = await freeTcpPort()
  const refused = await sendBurst([stream(closed, false)], 5, () => true)
  t.equal(refused.failures.length, 5, 'nothing listening: every request fails')
  t.match(refused.failures[0]?.error ?? '', /ECONNREFUSED/)
})
