import t from 'tap'
import { Command } from 'commander'
import { addEtcdTlsOptions, etcdConnection, etcdCredentials, parseEtcdTls, type TlsFileAccess } from './etcd-tls.js'
import { FlagError, withEnvVars } from './flags.js'

const HTTPS = ['https://10.0.0.1:2379']
const HTTP = ['http://10.0.0.1:2379']

t.test('no TLS flags: plain http, nothing to read', async t => {
  t.equal(parseEtcdTls({}, HTTP), undefined)
  // A unit file's unset variable ("--etcd-ca ${DOKKAA_ETCD_CA}") is "" or blanks: not given.
  t.equal(parseEtcdTls({ etcdCa: '', etcdCert: ' ', etcdKey: '' }, HTTP), undefined)
  t.same(etcdConnection(HTTP, undefined), { hosts: HTTP })
})

t.test('a CA alone (server TLS), or with a client certificate and key', async t => {
  t.same(parseEtcdTls({ etcdCa: '/p/ca.pem' }, HTTPS), { ca: '/p/ca.pem' })
  t.same(parseEtcdTls({ etcdCa: '/p/ca.pem', etcdCert: '/p/c.pem', etcdKey: '/p/c.key' }, [...HTTPS, 'https://b:2379']),
    { ca: '/p/ca.pem', client: { cert: '/p/c.pem', key: '/p/c.key' } })
})

t.test('every refusal names the flag and the fix', async t => {
  t.throws(() => parseEtcdTls({ etcdCa: '/ca', etcdCert: '/c' }, HTTPS),
    new FlagError('--etcd-key', 'missing: --etcd-cert needs the private key of that client certificate; pass --etcd-key <file>'))
  t.throws(() => parseEtcdTls({ etcdCa: '/ca', etcdKey: '/k' }, HTTPS),
    new FlagError('--etcd-cert', 'missing: --etcd-key needs its client certificate; pass --etcd-cert <file>'))
  t.throws(() => parseEtcdTls({ etcdCert: '/c', etcdKey: '/k' }, HTTPS),
    new FlagError('--etcd-ca', 'missing: a client certificate (--etcd-cert, --etcd-key) is only sent over TLS; pass --etcd-ca <file>, the CA that signed etcd\'s server certificate'))
  t.throws(() => parseEtcdTls({ etcdCa: '/ca' }, ['https://a:2379', 'http://b:2379']),
    new FlagError('--etcd', '"http://b:2379" is plain http, but TLS flags (--etcd-ca) are given: use https:// endpoints with --etcd-ca'))
  t.throws(() => parseEtcdTls({}, ['http://a:2379', 'https://b:2379']),
    new FlagError('--etcd-ca', 'missing: "https://b:2379" is https; pass --etcd-ca <file>, the CA that signed etcd\'s server certificate'))
  t.match(new FlagError('--etcd-ca', 'x'), { code: 'DKA_FLAG_INVALID', message: '--etcd-ca: x' })
})

/** A fake file system: path → [content, mode]. */
function fakeFiles(entries: Record<string, [string, number]>): TlsFileAccess {
  const get = (path: string) => {
    const e = entries[path]
    if (!e) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' })
    return e
  }
  return { read: path => Buffer.from(get(path)[0]), mode: path => get(path)[1] }
}

const PEM = (what: string) => `-----BEGIN ${what}-----\nAAAA\n-----END ${what}-----\n`
const files = fakeFiles({
  '/p/ca.pem': [PEM('CERTIFICATE'), 0o644],
  '/p/c.pem': [PEM('CERTIFICATE'), 0o644],
  '/p/c.key': [PEM('PRIVATE KEY'), 0o600],
  '/p/loose.key': [PEM('PRIVATE KEY'), 0o640],
  '/p/not-pem': ['hello', 0o600],
})

t.test('reading: the files become etcd3 credentials', async t => {
  t.equal(etcdCredentials(undefined, files), undefined)
  t.same(etcdCredentials({ ca: '/p/ca.pem' }, files), { rootCertificate: Buffer.from(PEM('CERTIFICATE')) })
  const creds = etcdCredentials({ ca: '/p/ca.pem', client: { cert: '/p/c.pem', key: '/p/c.key' } }, files)
  t.same(creds, { rootCertificate: Buffer.from(PEM('CERTIFICATE')), certChain: Buffer.from(PEM('CERTIFICATE')), privateKey: Buffer.from(PEM('PRIVATE KEY')) })
  t.same(etcdConnection(HTTPS, { ca: '/p/ca.pem' }, files), { hosts: HTTPS, credentials: { rootCertificate: Buffer.from(PEM('CERTIFICATE')) } })
})

t.test('reading: refusals name the flag and the fix', async t => {
  t.throws(() => etcdCredentials({ ca: '/p/missing.pem' }, files),
    new FlagError('--etcd-ca', 'cannot read the etcd CA certificate /p/missing.pem: ENOENT: no such file or directory, open \'/p/missing.pem\''))
  t.throws(() => etcdCredentials({ ca: '/p/ca.pem', client: { cert: '/p/nope.pem', key: '/p/c.key' } }, files), { flag: '--etcd-cert', message: /cannot read the etcd client certificate \/p\/nope.pem/ })
  t.throws(() => etcdCredentials({ ca: '/p/ca.pem', client: { cert: '/p/c.pem', key: '/p/nope.key' } }, files), { flag: '--etcd-key', message: /cannot read the etcd client key \/p\/nope.key/ })
  t.throws(() => etcdCredentials({ ca: '/p/not-pem' }, files),
    new FlagError('--etcd-ca', '/p/not-pem is not a PEM file (no "-----BEGIN" line): give the etcd CA certificate in PEM'))
  t.throws(() => etcdCredentials({ ca: '/p/ca.pem', client: { cert: '/p/c.pem', key: '/p/loose.key' } }, files),
    new FlagError('--etcd-key', '/p/loose.key is readable by group or others (mode 640): chmod 600 /p/loose.key'))
})

t.test('the flags read their DOKKAA_* env vars; the command line wins', async t => {
  const make = () => withEnvVars(addEtcdTlsOptions(new Command('x').exitOverride().option('--etcd <urls>', 'etcd')))
  const saved = { ...process.env }
  t.teardown(() => { process.env = saved })
  process.env['DOKKAA_ETCD_CA'] = '/env/ca.pem'
  process.env['DOKKAA_ETCD_CERT'] = '/env/c.pem'
  process.env['DOKKAA_ETCD_KEY'] = '/env/c.key'
  t.same(make().parse(['node', 'x']).opts(), { etcdCa: '/env/ca.pem', etcdCert: '/env/c.pem', etcdKey: '/env/c.key' })
  t.equal(make().parse(['node', 'x', '--etcd-ca', '/flag/ca.pem']).opts()['etcdCa'], '/flag/ca.pem')
  t.match(make().helpInformation(), /--etcd-ca <file>.*CA certificate/)
})
