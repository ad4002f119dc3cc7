// dokkaa-ambassador as a user runs it: the real process, its flags, its errors.
import { createServer } from 'node:net'
import t from 'tap'
import { KeyLayout } from '../schemas/index.js'
import { testEtcd } from '../test/support/etcd.js'
import { allocateServicePort } from '../test/support/port-allocation.js'
import { startTsProcess } from '../test/support/processes.js'
import { waitFor } from '../test/support/wait-for.js'
import { digShort, freeDnsPort, freePortBlock, freeTcpPort, startStubUpstream, uniqueApp } from './testing/fixtures.js'

const MAIN = 'ambassador/main.ts'

t.test('bad flags: a sentence naming the flag, exit status 2', async (t) => {
  const cases: [string[], RegExp][] = [
    [['--dns-listen', 'localhost'], /--dns-listen: "localhost" is not an IP address/],
    [['--port-range', '9-1', '--dns-listen', '127.0.0.1:5', '--proxy-listen', '127.0.0.1'], /--port-range: "9-1": 9 is above 1/],
    [['--no-such-flag'], /unknown option '--no-such-flag'/],
  ]
  for (const [args, message] of cases) {
    const p = startTsProcess(MAIN, args, {}, { t })
    const exit = await p.exited
    t.equal(exit.code, 2, args.join(' '))
    t.match(p.stderr.join('\n'), message)
  }
})

t.test('an address in use: a sentence naming the address and the flag, exit status 2', async (t) => {
  const etcd = testEtcd(t)
  const taken = createServer()
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r))
  t.teardown(() => taken.close())
  const port = (taken.address() as { port: number }).port
  const p = startTsProcess(MAIN, [
    '--etcd', etcd.hosts.join(','), '--prefix', etcd.prefix, '--dns-listen', `127.0.0.1:${await freeDnsPort()}`,
    '--proxy-listen', '127.0.0.1', '--upstream', 'none', '--web-listen', `127.0.0.1:${port}`,
  ], {}, { t })
  t.equal((await p.exited).code, 2)
  t.match(p.stderr.join('\n'), `the web router cannot listen on 127.0.0.1:${port}: the address is already in use`)
  t.match(p.stderr.join('\n'), /choose another with --web-listen/)
})

t.test('a running ambassador answers dig, proxies, and stops on SIGTERM', async (t) => {
  const etcd = testEtcd(t)
  const upstream = await startStubUpstream(t)
  const dnsPort = await freeDnsPort()
  const range = await freePortBlock()
  const p = startTsProcess(MAIN, [
    '--etcd', etcd.hosts.join(','), '--prefix', etcd.prefix, '--dns-listen', `127.0.0.1:${dnsPort}`,
    '--proxy-listen', '127.0.0.1', '--port-range', `${range.from}-${range.to}`, '--upstream', `127.0.0.1:${upstream.port}`,
    '--web-listen', `127.0.0.1:${await freeTcpPort()}`, '--ttl', '2',
  ], {}, { t })
  await p.waitForLine('ambassador ready', { timeoutMs: 30_000 })
  const app = uniqueApp('cli')
  await etcd.client.put(`${etcd.prefix}/skydns/local/dokkaa/${app}/nginx/nginx-0`).value(JSON.stringify({ host: '10.3.0.1', port: 8080 }))
  t.same(await waitFor(async () => { const a = await digShort(dnsPort, `nginx.${app}.dokkaa.local`); return a.length > 0 && a }, { what: 'an answer' }), ['10.3.0.1'])
  t.same(await digShort(dnsPort, 'example.org'), ['192.0.2.123'])
  // The scheduler's part: the service's stable port (the ambassador only reads /ports).
  const port = await allocateServicePort(etcd.client, new KeyLayout(etcd.prefix), app, 'nginx', range)
  t.ok(port >= range.from && port <= range.to)
  await p.waitForLine(`"port":${port},"service":"${app}/nginx"`)
  t.equal(await etcd.client.getAll().prefix(`${etcd.prefix}/ports/`).keys().then(k => k.length), 1, 'the ambassador wrote nothing to /ports')
  const exit = await p.stop('SIGTERM')
  t.equal(exit.code, 0)
  t.ok(p.lines.some((l) => l.includes('shutting down')))
})
