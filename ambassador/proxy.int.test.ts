// The TCP proxy against real busybox containers: round-robin, a killed backend, no
// backends, half-close, connections that outlive a table change, a port withdrawn.
import { randomBytes } from 'node:crypto'
import { connect, createServer, type Socket } from 'node:net'
import t from 'tap'
import { testDocker } from '../test/support/docker.js'
import { waitFor } from '../test/support/wait-for.js'
import { fetchText, startAmbassadorFixture, startBusybox, uniqueApp } from './testing/fixtures.js'

/** Connects and reports how the connection ended: 'refused', 'reset' or 'closed' (plus any data). */
function probe(port: number): Promise<{ outcome: string; data: string }> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' })
    let data = ''
    s.setTimeout(10_000, () => { s.destroy(); resolve({ outcome: 'hung', data }) })
    s.on('data', (d) => { data += d })
    s.on('error', (err: NodeJS.ErrnoException) => resolve({ outcome: err.code === 'ECONNREFUSED' ? 'refused' : err.code === 'ECONNRESET' ? 'reset' : err.code ?? 'error', data }))
    s.on('close', () => resolve({ outcome: 'closed', data }))
  })
}

t.test('round-robin over three busybox backends; one killed; all gone; back again', async (t) => {
  const run = randomBytes(4).toString('hex')
  const f = await startAmbassadorFixture(t)
  const app = uniqueApp('rr')
  const backends = await Promise.all([0, 1, 2].map(() => startBusybox(t, run)))
  for (const [i, b] of backends.entries()) await f.announce(app, 'nginx', `nginx-${i}`, { host: '127.0.0.1', port: b.port })
  const port = await f.proxyPort(app, 'nginx')
  t.ok(port >= f.config.portRange.from && port <= f.config.portRange.to, 'the allocated port is in --port-range')
  await waitFor(() => f.ambassador.current().table.service(app, 'nginx')?.backends.length === 3, { what: 'three backends in the table' })

  const seen: string[] = []
  for (let i = 0; i < 6; i++) seen.push(await fetchText(`http://127.0.0.1:${port}/host.txt`))
  const expected = backends.map((b) => `instance ${b.hostname}`)
  t.same([...new Set(seen)].sort(), [...expected].sort(), 'every backend answered')
  t.same(seen.slice(0, 3), seen.slice(3, 6), 'in a fixed rotation')
  t.equal(await fetchText(`http://127.0.0.1:${port}/`), 'hello from dokkaa')

  // Kill one; its record stays (as if its host had not noticed yet): requests still succeed.
  await testDocker().getContainer(backends[1]!.id).kill()
  const after: string[] = []
  for (let i = 0; i < 9; i++) after.push(await fetchText(`http://127.0.0.1:${port}/host.txt`))
  t.notOk(after.includes(expected[1]!), 'the dead backend is skipped')
  t.same([...new Set(after)].sort(), [expected[0], expected[2]].sort(), 'the live ones share the load')

  // No records at all: the client is turned away at once, not left hanging.
  for (const i of [0, 1, 2]) await f.withdraw(app, 'nginx', `nginx-${i}`)
  await waitFor(() => f.ambassador.current().table.service(app, 'nginx')?.backends.length === 0, { what: 'an empty service' })
  const refused = await probe(port)
  t.ok(['reset', 'closed'].includes(refused.outcome), `no backend: connection ${refused.outcome}`)
  t.equal(refused.data, '')

  // Every record present but every backend dead: also turned away quickly.
  await f.announce(app, 'nginx', 'nginx-1', { host: '127.0.0.1', port: backends[1]!.port })
  await waitFor(() => f.ambassador.current().table.service(app, 'nginx')?.backends.length === 1, { what: 'the dead record back' })
  t.ok(['reset', 'closed'].includes((await probe(port)).outcome), 'only dead backends: reset')

  // Back again: the same port works with no restart of anything.
  await f.announce(app, 'nginx', 'nginx-0', { host: '127.0.0.1', port: backends[0]!.port })
  t.equal(await waitFor(async () => fetchText(`http://127.0.0.1:${port}/host.txt`).catch(() => ''), { what: 'the service back' }), expected[0])
})

t.test('half-close both ways, and open connections outlive table changes', async (t) => {
  // A backend that answers only after the client's FIN, then half-closes itself.
  const sockets = new Set<Socket>()
  const backend = createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s)
    let got = 0
    s.on('data', (d) => {
      got += d.length
      if (d.toString().includes('ping')) s.write('pong\n')
    })
    s.on('end', () => s.end(`got ${got} bytes\n`))
  })
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r))
  t.teardown(() => { for (const s of sockets) s.destroy(); backend.close() })
  const backendPort = (backend.address() as { port: number }).port

  const f = await startAmbassadorFixture(t)
  const app = uniqueApp('hc')
  await f.announce(app, 'echo', 'echo-0', { host: '127.0.0.1', port: backendPort })
  const port = await f.proxyPort(app, 'echo')
  await waitFor(() => f.ambassador.current().table.service(app, 'echo')?.backends.length === 1, { what: 'the backend in the table' })

  const reply = await new Promise<string>((resolve, reject) => {
    const c = connect({ port, host: '127.0.0.1', allowHalfOpen: true })
    let out = ''
    c.on('data', (d) => { out += d })
    c.on('end', () => resolve(out))
    c.on('error', reject)
    c.end('x'.repeat(100_000))
  })
  t.equal(reply, 'got 100000 bytes\n', 'the client FIN reached the backend, and the answer came back after it')

  // A long-lived connection keeps working while its backend's record goes away.
  const c = connect({ port, host: '127.0.0.1' })
  const lines: string[] = []
  c.on('data', (d) => lines.push(...d.toString().split('\n').filter(Boolean)))
  c.write('ping\n')
  await waitFor(() => lines.includes('pong'), { what: 'the first pong' })
  await f.withdraw(app, 'echo', 'echo-0')
  await f.announce(app, 'echo', 'echo-9', { host: '127.0.0.1', port: 1 })
  await waitFor(() => f.ambassador.current().table.service(app, 'echo')?.backends[0]?.leaf === 'echo-9', { what: 'the table changed' })
  c.write('ping\n')
  await waitFor(() => lines.filter((l) => l === 'pong').length === 2, { what: 'a second pong on the old connection' })
  c.destroy()
})

t.test('a withdrawn port closes its listener', async (t) => {
  const f = await startAmbassadorFixture(t)
  const app = uniqueApp('gone')
  await f.announce(app, 'svc', 'svc-0', { host: '127.0.0.1', port: 1 })
  const port = await f.proxyPort(app, 'svc')
  await f.withdraw(app, 'svc', 'svc-0')
  await f.etcd.client.delete().key(f.keys.port(app, 'svc'))
  await waitFor(() => !f.ambassador.proxyPorts().includes(port), { what: 'the listener closed' })
  t.equal((await probe(port)).outcome, 'refused')
})
