// The watcher against real loopback servers: an HTTP server whose /healthz answer the
// test flips, a TCP port that opens and closes. Verdicts as a user would read them.
import { createServer, type Server } from 'node:http'
import { createServer as createTcpServer, type AddressInfo } from 'node:net'
import t from 'tap'
import { waitFor } from '../../test/support/wait-for.js'
import type { ResolvedHealthCheck } from '../../schemas/index.js'
import type { HealthVerdict } from './health-monitor.js'
import { createHealthWatcher } from './health-watcher.js'

const timing = { intervalMs: 100, timeoutMs: 200, retries: 2, startPeriodMs: 0 }
const wait = <T>(fn: () => T | undefined | false, what: string) => waitFor(fn, { timeoutMs: 10_000, intervalMs: 10, what })

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
  return (server.address() as AddressInfo).port
}

t.test('http: starting → healthy → unhealthy after retries → healthy again; reasons say what failed', async t => {
  let status = 503
  const server = createServer((req, res) => { res.statusCode = req.url === '/healthz' ? status : 404; res.end() })
  const port = await listen(server)
  t.teardown(() => server.close())
  const seen: HealthVerdict[] = []
  const w = createHealthWatcher((_, v) => seen.push(v))
  t.teardown(() => w.close())
  const check: ResolvedHealthCheck = { ...timing, kind: 'http', path: '/healthz', service: 'web', containerPort: 80 }
  w.watch({ containerId: 'c1', check, target: { host: '127.0.0.1', port }, startedAt: Date.now() })
  await wait(() => w.verdict('c1')?.state === 'unhealthy', 'unhealthy after 2 failures')
  t.equal(w.verdict('c1')?.error, 'GET /healthz: 503')
  status = 200
  await wait(() => w.verdict('c1')?.state === 'healthy', 'healthy')
  t.type(w.verdict('c1')?.healthySince, 'number')
  t.equal(w.verdict('c1')?.error, undefined)
  server.closeAllConnections()
  await new Promise(r => server.close(r))
  await wait(() => w.verdict('c1')?.state === 'unhealthy', 'unhealthy when nothing listens')
  t.match(w.verdict('c1')?.error, /^GET \/healthz: connect ECONNREFUSED/)
  t.same(seen.map(v => v.state).filter((s, i, a) => s !== a[i - 1]), ['starting', 'unhealthy', 'healthy', 'unhealthy'])
})

t.test('tcp: healthy once the port opens; a slow first answer is seen well before the interval', async t => {
  const holder = createTcpServer()
  const port = await listen(holder)
  await new Promise(r => holder.close(r))
  const w = createHealthWatcher(() => {})
  t.teardown(() => w.close())
  const check: ResolvedHealthCheck = { ...timing, intervalMs: 60_000, retries: 1, kind: 'tcp', service: 'db', containerPort: 5432 }
  w.watch({ containerId: 'c2', check, target: { host: '127.0.0.1', port }, startedAt: Date.now() })
  await wait(() => w.verdict('c2')?.error !== undefined, 'a refused connect recorded')
  t.equal(w.verdict('c2')?.state, 'starting', 'the fast polls while starting never count a failure')
  const server = createTcpServer(s => s.end())
  await new Promise<void>(r => server.listen(port, '127.0.0.1', r))
  t.teardown(() => server.close())
  await wait(() => w.verdict('c2')?.state === 'healthy', 'healthy within the starting poll, not the 60 s interval')
  w.unwatch('c2')
  t.equal(w.verdict('c2'), undefined)
})

t.test('docker and cmd checks take Docker\'s word; probes never run for them', async t => {
  const w = createHealthWatcher(() => {})
  t.teardown(() => w.close())
  w.watch({ containerId: 'c3', check: { kind: 'docker' }, startedAt: Date.now() })
  t.equal(w.verdict('c3')?.state, 'starting')
  const before = Date.now()
  w.dockerSaid('c3', 'unhealthy', 'exit 1: no such file')
  const v = w.verdict('c3')
  t.same({ ...v, unhealthySince: undefined }, { state: 'unhealthy', error: 'exit 1: no such file', unhealthySince: undefined })
  t.ok(v?.unhealthySince !== undefined && v.unhealthySince >= before, 'unhealthy since Docker said so')
  w.dockerSaid('c3', 'healthy')
  t.equal(w.verdict('c3')?.state, 'healthy')
  w.dockerSaid('nobody', 'healthy')
  t.equal(w.verdict('nobody'), undefined)
})
