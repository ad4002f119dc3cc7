import t from 'tap'
import { DEFAULTS, parseConfig } from './config.js'

t.test('defaults', async t => {
  t.same(parseConfig({}), {
    etcd: ['http://127.0.0.1:2379'],
    prefix: '',
    listen: { host: '127.0.0.1', port: 8080 },
    passwordFile: DEFAULTS.passwordFile,
    secureCookies: false,
    logLevel: 'info',
    clusterKeyFile: '/etc/dokkaa/cluster.key',
  })
})

t.test('explicit flags', async t => {
  const c = parseConfig({
    etcd: 'http://a:1,http://b:2', prefix: '/t-x', listen: '0.0.0.0:0', passwordFile: '/tmp/pw', secureCookies: true, logLevel: 'warn',
  })
  t.same(c, { etcd: ['http://a:1', 'http://b:2'], prefix: '/t-x', listen: { host: '0.0.0.0', port: 0 }, passwordFile: '/tmp/pw', secureCookies: true, logLevel: 'warn', clusterKeyFile: DEFAULTS.clusterKeyFile })
  t.same(parseConfig({ listen: '9090' }).listen, { host: '127.0.0.1', port: 9090 }, 'a bare port is on loopback')
  t.same(parseConfig({ listen: '[::1]:8080' }).listen, { host: '::1', port: 8080 })
  t.equal(parseConfig({ prefix: '' }).prefix, '', 'the unit file\'s empty --prefix')
})

t.test('--data-dir is shorthand for the password file in it; empty means not given', async t => {
  t.equal(parseConfig({ dataDir: '/var/lib/x', passwordFile: '/ignored' }).passwordFile, '/var/lib/x/generated_password.txt')
  t.equal(parseConfig({ dataDir: '', passwordFile: '/pw' }).passwordFile, '/pw')
})

t.test('--cluster-key-file: a path, the default when empty (a unit file\'s unset variable)', async t => {
  t.equal(parseConfig({ clusterKeyFile: '/tmp/k' }).clusterKeyFile, '/tmp/k')
  t.equal(parseConfig({ clusterKeyFile: '' }).clusterKeyFile, '/etc/dokkaa/cluster.key')
})

t.test('--etcd-ca, --etcd-cert, --etcd-key: checked against the --etcd URLs, read at start', async t => {
  t.equal(parseConfig({}).etcdTls, undefined)
  t.same(parseConfig({ etcd: 'https://a:2379', etcdCa: '/t/ca.pem', etcdCert: '/t/c.pem', etcdKey: '/t/c.key' }).etcdTls,
    { ca: '/t/ca.pem', client: { cert: '/t/c.pem', key: '/t/c.key' } })
  t.throws(() => parseConfig({ etcd: 'https://a:2379' }), { name: 'FlagError', message: /^--etcd-ca: missing: "https:\/\/a:2379" is https/ })
  t.throws(() => parseConfig({ etcdCa: '/t/ca.pem' }), { name: 'FlagError', message: /^--etcd: "http:\/\/127.0.0.1:2379" is plain http.*use https:\/\/ endpoints with --etcd-ca/ })
})

t.test('bad flags name the flag', async t => {
  const bad: [Parameters<typeof parseConfig>[0], RegExp][] = [
    [{ listen: 'x:99999' }, /^--listen: "x:99999" is not host:port/],
    [{ listen: 'host:' }, /^--listen: /],
    [{ etcd: 'localhost:2379' }, /^--etcd: "localhost:2379" is not an etcd client URL/],
    [{ etcd: ' , ' }, /^--etcd: needs at least one URL/],
    [{ prefix: 'x/' }, /^--prefix: "x\/" must start with "\/"/],
    [{ logLevel: 'loud' }, /^--log-level: "loud" is not one of fatal, error/],
    [{ passwordFile: ' ' }, /^--password-file: must not be empty/],
  ]
  for (const [flags, message] of bad) t.throws(() => parseConfig(flags), { name: 'FlagError', code: 'DKA_FLAG_INVALID', message }, JSON.stringify(flags))
})

t.test('--tls-cert and --tls-key: both or neither; HTTPS makes the session cookie Secure', async t => {
  t.equal(parseConfig({}).tls, undefined)
  t.equal(parseConfig({ tlsCert: '', tlsKey: '' }).tls, undefined, 'a unit file\'s unset variables: plain http')
  const c = parseConfig({ tlsCert: '/pki/builder.crt', tlsKey: '/pki/builder.key' })
  t.same(c.tls, { cert: '/pki/builder.crt', key: '/pki/builder.key' })
  t.equal(c.secureCookies, true, 'Secure without --secure-cookies')
  t.throws(() => parseConfig({ tlsCert: '/pki/builder.crt' }), {
    name: 'FlagError', message: '--tls-key: missing: HTTPS for the console and API needs --tls-cert and --tls-key together; pass --tls-key <file> (or none of them)',
  })
  t.throws(() => parseConfig({ tlsKey: '/pki/builder.key' }), { name: 'FlagError', message: /^--tls-cert: missing: .*pass --tls-cert <file>/ })
})

t.test('--agent-ca, --agent-cert, --agent-key: all three or none', async t => {
  t.equal(parseConfig({}).agentTls, undefined)
  t.same(parseConfig({ agentCa: '/pki/ca.crt', agentCert: '/pki/builder.crt', agentKey: '/pki/builder.key' }).agentTls,
    { ca: '/pki/ca.crt', cert: '/pki/builder.crt', key: '/pki/builder.key' })
  t.throws(() => parseConfig({ agentCa: '/pki/ca.crt' }), {
    name: 'FlagError', message: '--agent-cert: missing: calling the conductors\' agent APIs over mutual TLS needs --agent-ca, --agent-cert and --agent-key together; pass --agent-cert <file> (or none of them)',
  })
  t.throws(() => parseConfig({ agentCert: '/pki/builder.crt', agentKey: '/pki/builder.key' }), { name: 'FlagError', message: /^--agent-ca: missing: .*pass --agent-ca <file>/ })
})
