// DNS against real etcd, asked with real dig: records written as a conductor writes
// them, forwarding to a stub upstream on loopback (never the machine's resolver).
import t from 'tap'
import { waitFor } from '../test/support/wait-for.js'
import { dig, digShort, startAmbassadorFixture, startStubUpstream, freeDnsPort, uniqueApp } from './testing/fixtures.js'

t.test('A, SRV, one instance, NXDOMAIN, SOA/NS, TCP, and changes seen through the watch', async (t) => {
  const upstream = await startStubUpstream(t)
  const f = await startAmbassadorFixture(t, { upstream: { address: '127.0.0.1', port: upstream.port }, ttl: 3 })
  const app = uniqueApp('dummy')
  const name = `nginx.${app}.dokkaa.local`
  await f.announce(app, 'nginx', 'nginx-0', { host: '10.1.0.1', port: 32768 })
  await f.announce(app, 'nginx', 'nginx-1', { host: '10.1.0.2', port: 32770 })
  await f.announce(app, 'nginx', 'web-0', { host: '10.1.0.2', port: 32771 })

  t.same(await waitFor(async () => { const a = await digShort(f.dnsPort, name, 'A'); return a.length === 2 && a }, { what: 'two A records' }), ['10.1.0.1', '10.1.0.2'])
  t.same(await digShort(f.dnsPort, name, 'SRV'), [
    `10 10 32768 nginx-0.nginx.${app}.dokkaa.local.`,
    `10 10 32770 nginx-1.nginx.${app}.dokkaa.local.`,
    `10 10 32771 web-0.nginx.${app}.dokkaa.local.`,
  ])
  const full = await dig(f.dnsPort, name, 'SRV')
  t.match(full, /flags: qr aa/, 'authoritative')
  t.match(full, new RegExp(`nginx-1\\.nginx\\.${app}\\.dokkaa\\.local\\.\\s+3\\s+IN\\s+A\\s+10\\.1\\.0\\.2`), 'SRV targets come with their A records, TTL 3')
  t.same(await digShort(f.dnsPort, `nginx-1.nginx.${app}.dokkaa.local`, 'A'), ['10.1.0.2'])
  t.same(await digShort(f.dnsPort, '+tcp', name, 'A'), ['10.1.0.1', '10.1.0.2'], 'over TCP too')

  const nx = await dig(f.dnsPort, `redis.${app}.dokkaa.local`, 'A')
  t.match(nx, /status: NXDOMAIN/)
  t.match(nx, /AUTHORITY SECTION:\s+dokkaa\.local\.\s+3\s+IN\s+SOA\s+ns\.dns\.dokkaa\.local\. hostmaster\.dokkaa\.local\./)
  t.match(await dig(f.dnsPort, 'dokkaa.local', 'SOA'), /ANSWER SECTION:\s+dokkaa\.local\.\s+3\s+IN\s+SOA\s+ns\.dns\.dokkaa\.local\./)
  t.same(await digShort(f.dnsPort, 'dokkaa.local', 'NS'), ['ns.dns.dokkaa.local.'])
  t.same(await digShort(f.dnsPort, 'ns.dns.dokkaa.local', 'A'), ['127.0.0.1'])
  t.match(await dig(f.dnsPort, name, 'AAAA'), /status: NOERROR[\s\S]*ANSWER: 0/, 'a known name without that type: NODATA')

  // The watch: an instance goes, another host's comes, a new service appears.
  await f.withdraw(app, 'nginx', 'nginx-0')
  await f.announce(app, 'nginx', 'nginx-2', { host: '10.1.0.3', port: 32768 })
  t.same(await waitFor(async () => { const a = await digShort(f.dnsPort, name, 'A'); return a.includes('10.1.0.3') && a }, { what: 'the new instance' }), ['10.1.0.2', '10.1.0.3'])
  await f.withdraw(app, 'nginx', 'nginx-1')
  await f.withdraw(app, 'nginx', 'nginx-2')
  await f.withdraw(app, 'nginx', 'web-0')
  await waitFor(async () => /NXDOMAIN/.test(await dig(f.dnsPort, name, 'A')), { what: 'NXDOMAIN once every instance is gone' })
  t.equal(upstream.queries.length, 0, 'nothing inside the domain went upstream')
})

t.test('names outside the domain go to the upstream; a silent upstream gives SERVFAIL', async (t) => {
  const upstream = await startStubUpstream(t)
  const f = await startAmbassadorFixture(t, { upstream: { address: '127.0.0.1', port: upstream.port } })
  t.same(await digShort(f.dnsPort, 'www.example.com', 'A'), ['192.0.2.123'])
  t.same(await digShort(f.dnsPort, '+tcp', 'tcp.example.com', 'A'), ['192.0.2.123'], 'a TCP query is forwarded too')
  t.same(upstream.queries, ['www.example.com', 'tcp.example.com'])

  // Nothing listens on this port: the forward times out.
  const silent = await startAmbassadorFixture(t, { upstream: { address: '127.0.0.1', port: await freeDnsPort() }, upstreamTimeoutMs: 300 })
  t.match(await dig(silent.dnsPort, 'www.example.com', 'A'), /status: SERVFAIL/)
  const none = await startAmbassadorFixture(t, { upstream: undefined })
  t.match(await dig(none.dnsPort, 'www.example.com', 'A'), /status: REFUSED/, '--upstream none refuses')
})

t.test('records written before the ambassador starts are served at once', async (t) => {
  const first = await startAmbassadorFixture(t)
  const app = uniqueApp('early')
  await first.announce(app, 'db', 'db-0', { host: '10.2.0.1', port: 5432 })
  // A second ambassador over the same prefix starts from the initial read.
  const second = await startAmbassadorFixture(t, { prefix: first.config.prefix })
  t.same(await digShort(second.dnsPort, `db.${app}.dokkaa.local`, 'A'), ['10.2.0.1'])
})
