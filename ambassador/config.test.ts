import t from 'tap'
import { parseConfig, parsePortRange } from './config.js'
import type { HostFacts } from './host-facts.js'
import { parseDefaultRouteInterface, parseIpAddrOutput, parseResolvConf } from './host-facts.js'
import { parseEndpoint } from './listen-address.js'

const host: HostFacts = {
  interfaceAddress: (n) => ({ docker0: '172.17.0.1', eth0: '192.0.2.2' } as Record<string, string>)[n],
  defaultRouteInterface: () => 'eth0',
  resolvConf: () => '# generated\nsearch example\nnameserver 10.0.0.53\nnameserver 10.0.0.54\n',
}

t.test('defaults bind the bridge address and loopback, never all interfaces', async (t) => {
  const c = parseConfig({}, host)
  t.same(c.dnsListen, [{ address: '172.17.0.1', port: 53 }, { address: '127.0.0.1', port: 53 }])
  t.same(c.proxyListen, ['172.17.0.1', '127.0.0.1'])
  t.same(c.webListen, [{ address: '192.0.2.2', port: 80 }, { address: '127.0.0.1', port: 80 }])
  t.same(c.upstream, { address: '10.0.0.53', port: 53 })
  t.same(c.portRange, { from: 20000, to: 20999 })
  t.equal(c.ttl, 5)
  t.equal(c.domain, 'dokkaa.local')
  t.same(c.etcd, ['http://127.0.0.1:2379'])
})

t.test('explicit flags', async (t) => {
  const c = parseConfig({
    dnsListen: '127.0.0.1:5353,[::1]:5353', proxyListen: '127.0.0.1', webListen: 'none', upstream: '127.0.0.2:5300',
    ttl: '2s', domain: 'Example.Test.', portRange: '21000-21010', prefix: '/t-x', etcd: 'http://a:1,http://b:2',
  }, { ...host, interfaceAddress: () => undefined })
  t.same(c.dnsListen, [{ address: '127.0.0.1', port: 5353 }, { address: '::1', port: 5353 }])
  t.same(c.webListen, [])
  t.equal(c.ttl, 2)
  t.equal(c.domain, 'example.test')
  t.same(c.portRange, { from: 21000, to: 21010 })
  t.same(c.etcd, ['http://a:1', 'http://b:2'])
  t.equal(parseConfig({ upstream: 'none', dnsListen: '127.0.0.1', proxyListen: '127.0.0.1' }, host).upstream, undefined)
})

t.test('--etcd-ca, --etcd-cert, --etcd-key: none by default; the files to read at start', async (t) => {
  t.equal(parseConfig({}, host).etcdTls, undefined)
  t.same(parseConfig({ etcd: 'https://a:2379', etcdCa: '/ca.pem', etcdCert: '/c.pem', etcdKey: '/c.key' }, host).etcdTls,
    { ca: '/ca.pem', client: { cert: '/c.pem', key: '/c.key' } })
})

t.test('bad flags name the flag', async (t) => {
  const bad: [Record<string, string>, RegExp][] = [
    [{ dnsListen: 'localhost:53' }, /^--dns-listen: "localhost:53" is not an IP address/],
    [{ dnsListen: '127.0.0.1:99999' }, /^--dns-listen: .*outside 1-65535/],
    [{ proxyListen: '127.0.0.1:80' }, /^--proxy-listen: .*addresses only/],
    [{ portRange: '300-200' }, /^--port-range: .*300 is above 200/],
    [{ portRange: 'many' }, /^--port-range: "many" is not FROM-TO/],
    [{ ttl: '-1' }, /^--ttl: /],
    [{ domain: 'local' }, /^--domain: /],
    [{ prefix: 'x/' }, /^--prefix: /],
    [{ etcd: 'localhost:2379' }, /^--etcd: /],
    [{ logLevel: 'loud' }, /^--log-level: /],
    [{ webListen: '127.0.0.1:20005' }, /^--web-listen: port 20005 lies inside --port-range/],
    [{ dnsListen: '127.0.0.1:53', upstream: '127.0.0.1' }, /^--upstream: 127.0.0.1:53 is one of this ambassador's own DNS addresses/],
    [{ etcd: 'https://a:2379', etcdCert: '/c.pem', etcdKey: '/c.key' }, /^--etcd-ca: missing: a client certificate/],
    [{ etcdCa: '/ca.pem' }, /^--etcd: "http:\/\/127.0.0.1:2379" is plain http/],
  ]
  for (const [flags, message] of bad) t.throws(() => parseConfig(flags, host), { code: 'DKA_AMBASSADOR_BAD_FLAG', message }, JSON.stringify(flags))
})

t.test('no bridge and no explicit addresses: say which flags to pass', async (t) => {
  t.throws(() => parseConfig({}, { ...host, interfaceAddress: () => undefined }), { code: 'DKA_AMBASSADOR_NO_BRIDGE_ADDRESS', message: /docker0.*--dns-listen and --proxy-listen/ })
})

t.test('no upstream anywhere', async (t) => {
  t.throws(() => parseConfig({ dnsListen: '127.0.0.1', proxyListen: '127.0.0.1' }, { ...host, resolvConf: () => '' }), { message: /--upstream: no nameserver in \/etc\/resolv.conf/ })
})

t.test('small parsers', async (t) => {
  t.equal(parseResolvConf('nameserver 1.2.3.4'), '1.2.3.4')
  t.equal(parseResolvConf('search x'), undefined)
  t.equal(parseIpAddrOutput('5: docker0    inet 172.17.0.1/16 brd 172.17.255.255 scope global docker0\\       valid_lft forever'), '172.17.0.1')
  t.equal(parseIpAddrOutput(''), undefined)
  const route = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n' +
    'docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n' +
    'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n'
  t.equal(parseDefaultRouteInterface(route), 'eth0')
  t.same(parseEndpoint('[::1]', 53, 'f'), { address: '::1', port: 53 })
  t.same(parseEndpoint('::1', 53, 'f'), { address: '::1', port: 53 })
  t.throws(() => parseEndpoint('1.2.3.4', undefined, '--x'), { message: /needs a port/ })
  t.same(parsePortRange(undefined), { from: 20000, to: 20999 })
})

t.test('--web-tls-listen, --tls-dir, --cluster-key-file', async (t) => {
  const off = parseConfig({}, host)
  t.same([off.webTlsListen, off.tlsDir, off.clusterKeyFile], [[], undefined, '/etc/dokkaa/cluster.key'], 'no HTTPS by default')
  const on = parseConfig({ webTlsListen: '192.0.2.2,127.0.0.1:8443', tlsDir: '/etc/dokkaa/tls', clusterKeyFile: '/k' }, host)
  t.same(on.webTlsListen, [{ address: '192.0.2.2', port: 443 }, { address: '127.0.0.1', port: 8443 }])
  t.same([on.tlsDir, on.clusterKeyFile], ['/etc/dokkaa/tls', '/k'])
  t.equal(parseConfig({ webTlsListen: 'none', clusterKeyFile: ' ' }, host).clusterKeyFile, '/etc/dokkaa/cluster.key', 'an empty value (a unit\'s unset variable) is the default')
  t.throws(() => parseConfig({ webTlsListen: '127.0.0.1:20005' }, host), /--web-tls-listen: port 20005 lies inside --port-range/)
  t.throws(() => parseConfig({ webTlsListen: '127.0.0.1', webListen: 'none' }, host), /--web-tls-listen: needs the plain web router too/)
  t.throws(() => parseConfig({ tlsDir: '/etc/dokkaa/tls' }, host), /--tls-dir: serves certificates on the HTTPS listener: give --web-tls-listen too/)
  t.throws(() => parseConfig({ webTlsListen: 'localhost' }, host), /--web-tls-listen: "localhost" is not an IP address/)
})
