// The web router: Host-based routing to two busybox backends, X-Forwarded-*,
// keep-alive, a websocket-style upgrade, and the 404/502/503 pages.
import { randomBytes } from 'node:crypto'
import { createServer, Agent } from 'node:http'
import { connect } from 'node:net'
import t from 'tap'
import { waitFor } from '../test/support/wait-for.js'
import { httpGet as get, startAmbassadorFixture, startBusybox, uniqueApp, type Reply } from './testing/fixtures.js'

t.test('Host picks the app; requests spread over both backends; keep-alive to the client', async (t) => {
  const run = randomBytes(4).toString('hex')
  const f = await startAmbassadorFixture(t)
  const app = uniqueApp('shop')
  const [a, b] = await Promise.all([startBusybox(t, run), startBusybox(t, run)])
  await f.announce(app, 'www', 'www-0', { host: '127.0.0.1', port: a!.port, role: 'web' })
  await f.announce(app, 'www', 'www-1', { host: '127.0.0.1', port: b!.port, role: 'web' })
  await waitFor(() => f.ambassador.current().table.service(app, 'www')?.backends.length === 2, { what: 'two web backends' })

  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => agent.destroy())
  const replies: Reply[] = []
  for (let i = 0; i < 4; i++) replies.push(await get(f.webPort, `${app}.dokkaa.local`, '/host.txt', agent))
  t.same(replies.map((r) => r.status), [200, 200, 200, 200])
  t.same(new Set(replies.map((r) => r.body)), new Set([`instance ${a!.hostname}`, `instance ${b!.hostname}`]), 'both backends answered')
  t.ok(replies.slice(1).every((r) => r.reused), 'one client connection carried every request')
  // An idle kept-alive connection is kept 65 s, not Node's 5 s (whose close races a client's next request: a reset).
  t.equal(replies[0]!.headers['keep-alive'], 'timeout=65', 'the router tells the client how long it keeps an idle connection')
  await new Promise((r) => setTimeout(r, 5_500))
  const later = await get(f.webPort, `${app}.dokkaa.local`, '/host.txt', agent)
  t.same([later.status, later.reused], [200, true], 'still the same connection after 5.5 s idle')
  t.equal((await get(f.webPort, `www.${app}.dokkaa.local:8080`, '/')).body, 'hello from dokkaa', '<service>.<app> with a port in Host works too')
})

t.test('X-Forwarded-For/-Host/-Proto reach the backend; upgrades are spliced through', async (t) => {
  // A backend that echoes what it received, and accepts an upgrade to a line echo.
  const server = createServer((req, res) => res.end(JSON.stringify(req.headers)))
  server.on('upgrade', (req, socket) => {
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: ${req.headers.upgrade}\r\nconnection: Upgrade\r\nx-seen-for: ${req.headers['x-forwarded-for']}\r\n\r\n`)
    socket.on('data', (d) => socket.write(`echo:${d}`))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const backendPort = (server.address() as { port: number }).port

  const f = await startAmbassadorFixture(t)
  const app = uniqueApp('hdr')
  await f.announce(app, 'web', 'web-0', { host: '127.0.0.1', port: backendPort, role: 'web' })
  await waitFor(() => f.ambassador.current().table.service(app, 'web')?.backends.length === 1, { what: 'the backend' })

  const seen = JSON.parse((await get(f.webPort, `${app}.dokkaa.local`)).body) as Record<string, string>
  t.equal(seen['x-forwarded-for'], '127.0.0.1')
  t.equal(seen['x-forwarded-host'], `${app}.dokkaa.local`)
  t.equal(seen['x-forwarded-proto'], 'http')
  t.equal(seen.host, `${app}.dokkaa.local`, 'Host is passed on unchanged')

  const transcript = await new Promise<string>((resolve, reject) => {
    const s = connect({ port: f.webPort, host: '127.0.0.1' })
    let out = ''
    s.on('data', (d) => {
      out += d
      if (out.includes('\r\n\r\n') && !out.includes('echo:')) s.write('hello over the upgraded socket')
      if (out.includes('echo:hello over the upgraded socket')) { s.destroy(); resolve(out) }
    })
    s.on('error', reject)
    s.write(`GET /chat HTTP/1.1\r\nHost: ${app}.dokkaa.local\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`)
  })
  t.match(transcript, /^HTTP\/1\.1 101 Switching Protocols/)
  t.match(transcript, /x-seen-for: 127\.0\.0\.1/)
  t.match(transcript, /echo:hello over the upgraded socket$/)
})

t.test('404 for unknown hosts, 503 when nothing is live, 502 when backends fail', async (t) => {
  const f = await startAmbassadorFixture(t)
  const app = uniqueApp('pages')
  const unknown = await get(f.webPort, 'nobody.dokkaa.local')
  t.equal(unknown.status, 404)
  t.match(unknown.body, /No such app: Nothing is served for the host "nobody\.dokkaa\.local"/)
  t.match((await get(f.webPort, 'nobody.dokkaa.local', '/', undefined, 'text/html')).body, /<h1>404 No such app<\/h1>/, 'browsers get HTML')

  // Port 1 on loopback refuses: every backend fails.
  await f.announce(app, 'www', 'www-0', { host: '127.0.0.1', port: 1, role: 'web' })
  await waitFor(() => f.ambassador.current().table.service(app, 'www')?.backends.length === 1, { what: 'the dead backend' })
  const bad = await get(f.webPort, `${app}.dokkaa.local`)
  t.equal(bad.status, 502)
  t.match(bad.body, /Bad gateway: None of the 1 instance\(s\)/)

  // The instance goes; its port allocation stays: the app is known, nothing is live.
  await f.proxyPort(app, 'www')
  await f.withdraw(app, 'www', 'www-0')
  await waitFor(() => f.ambassador.current().table.service(app, 'www')?.backends.length === 0, { what: 'no backends' })
  const none = await get(f.webPort, `${app}.dokkaa.local`)
  t.equal(none.status, 503)
  t.match(none.body, /Service unavailable: .* has no running web instance right now/)
})
