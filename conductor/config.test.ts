import t from 'tap'
import { buildConfig } from './config.js'

const machine = { hostname: 'box1', ipv4: ['10.0.0.5', '172.17.0.1'] }

t.test('defaults', async t => {
  const c = buildConfig({}, machine)
  t.same(c.etcd, ['http://127.0.0.1:2379'])
  t.equal(c.prefix, '')
  t.equal(c.docker, 'unix:///var/run/docker.sock')
  t.equal(c.hostId, 'box1')
  t.equal(c.hostAddress, '10.0.0.5')
  t.equal(c.leaseTtl, 3)
  t.equal(c.resyncMs, 10_000)
  t.equal(c.scheduler, true)
  t.equal(c.ambassadorAddress, 'auto')
  t.same(c.portRange, { from: 20000, to: 20999 })
  t.equal(buildConfig({}, { hostname: 'x', ipv4: [] }).hostAddress, '127.0.0.1')
})

t.test('values', async t => {
  const c = buildConfig({
    etcd: 'http://a:2379, http://b:2379', prefix: '/t-1', hostId: 'h-2', hostAddress: '127.0.0.1', labels: 'zone=a, ssd=yes',
    leaseTtl: '5', resync: '0.5', concurrency: '4', scheduler: false, ambassadorAddress: 'none', portRange: '30000-30010', logLevel: 'debug',
  }, machine)
  t.same(c.etcd, ['http://a:2379', 'http://b:2379'])
  t.same(c.labels, { zone: 'a', ssd: 'yes' })
  t.equal(c.resyncMs, 500)
  t.equal(c.scheduler, false)
  t.same(c.portRange, { from: 30000, to: 30010 })
})

const bad: [string, Record<string, string>, RegExp][] = [
  ['etcd', { etcd: 'localhost' }, /^--etcd: /],
  ['prefix', { prefix: 'x/' }, /^--prefix: /],
  ['docker', { docker: 'http://x' }, /^--docker: /],
  ['host-id', { hostId: 'a b' }, /^--host-id: /],
  ['host-address', { hostAddress: '300.1.1.1' }, /^--host-address: /],
  ['labels', { labels: 'zone' }, /^--labels: expected k=v/],
  ['lease-ttl', { leaseTtl: 'soon' }, /^--lease-ttl: expected an integer/],
  ['resync', { resync: '-1' }, /^--resync: /],
  ['concurrency', { concurrency: '0' }, /^--concurrency: /],
  ['ambassador-address', { ambassadorAddress: 'dns' }, /^--ambassador-address: /],
  ['port-range', { portRange: '9-1' }, /^--port-range: /],
  ['log-level', { logLevel: 'loud' }, /^--log-level: expected one of/],
  ['network', { network: 'host' }, /^--network: expected the name of a Docker bridge network/],
  ['agent-listen', { agentListen: 'anywhere' }, /^--agent-listen: expected "none"/],
  ['drain-delay', { drainDelay: 'soon' }, /^--drain-delay: expected a duration from 0s to 10m/],
  ['drain-delay', { drainDelay: '11m' }, /^--drain-delay: expected a duration/],
  ['drain-delay', { drainDelay: '-1' }, /^--drain-delay: expected a duration/],
  ['cluster-key-file', { clusterKeyFile: 'cluster.key' }, /^--cluster-key-file: expected an absolute path/],
  ['secrets-dir', { secretsDir: 'run/secrets' }, /^--secrets-dir: expected an absolute path/],
  ['etcd-key', { etcd: 'https://a:2379', etcdCa: '/ca.pem', etcdCert: '/c.pem' }, /^--etcd-key: missing: --etcd-cert needs the private key/],
  ['etcd-ca', { etcd: 'https://a:2379' }, /^--etcd-ca: missing: "https:\/\/a:2379" is https; pass --etcd-ca <file>/],
  ['etcd', { etcdCa: '/ca.pem' }, /^--etcd: "http:\/\/127.0.0.1:2379" is plain http/],
]
for (const [flag, raw, message] of bad) {
  t.test(`bad --${flag}`, async t => {
    t.throws(() => buildConfig(raw, machine), { code: 'DKA_CONDUCTOR_BAD_FLAG', flag, message })
  })
}

t.test('--agent-listen: default on the host address, a port, IP:PORT, or none', async t => {
  t.same(buildConfig({ hostAddress: '10.1.2.3' }, machine).agentListen, { host: '10.1.2.3', port: 0 })
  t.same(buildConfig({ hostAddress: '10.1.2.3', agentListen: '7070' }, machine).agentListen, { host: '10.1.2.3', port: 7070 })
  t.same(buildConfig({ agentListen: '127.0.0.1:7071' }, machine).agentListen, { host: '127.0.0.1', port: 7071 })
  t.equal(buildConfig({ agentListen: 'none' }, machine).agentListen, undefined)
})

t.test('--drain-delay: 2s by default; a duration, or seconds', async t => {
  t.equal(buildConfig({}, machine).drainDelayMs, 2000)
  t.equal(buildConfig({ drainDelay: '500ms' }, machine).drainDelayMs, 500)
  t.equal(buildConfig({ drainDelay: '1m30s' }, machine).drainDelayMs, 90_000)
  t.equal(buildConfig({ drainDelay: '0.25' }, machine).drainDelayMs, 250)
  t.equal(buildConfig({ drainDelay: '0s' }, machine).drainDelayMs, 0)
})

t.test('--etcd-ca, --etcd-cert, --etcd-key: none by default; the files to read at start', async t => {
  t.equal(buildConfig({}, machine).etcdTls, undefined)
  t.same(buildConfig({ etcd: 'https://a:2379', etcdCa: '/ca.pem', etcdCert: '/c.pem', etcdKey: '/c.key' }, machine).etcdTls,
    { ca: '/ca.pem', client: { cert: '/c.pem', key: '/c.key' } })
})

t.test('--cluster-key-file and --secrets-dir: the defaults, or absolute paths', async t => {
  t.match(buildConfig({}, machine), { clusterKeyFile: '/etc/dokkaa/cluster.key', secretsDir: '/run/dokkaa/secrets' })
  t.match(buildConfig({ clusterKeyFile: '/tmp/k', secretsDir: '/mnt/s/' }, machine), { clusterKeyFile: '/tmp/k', secretsDir: '/mnt/s' })
})

t.test('--scheduler-etcd-cert and -key: both or neither, only with TLS to etcd', async t => {
  const tls = { etcd: 'https://10.0.0.2:2379', etcdCa: '/pki/ca.crt', etcdCert: '/pki/conductor-h1.crt', etcdKey: '/pki/conductor-h1.key' }
  t.match(buildConfig({ ...tls, schedulerEtcdCert: '/pki/scheduler.crt', schedulerEtcdKey: '/pki/scheduler.key' }, machine).schedulerEtcdTls,
    { ca: '/pki/ca.crt', client: { cert: '/pki/scheduler.crt', key: '/pki/scheduler.key' } })
  t.equal(buildConfig(tls, machine).schedulerEtcdTls, undefined, 'neither: the scheduler uses the conductor\'s client')
  t.throws(() => buildConfig({ ...tls, schedulerEtcdCert: '/pki/scheduler.crt' }, machine), /--scheduler-etcd-key: missing/)
  t.throws(() => buildConfig({ schedulerEtcdCert: '/a', schedulerEtcdKey: '/b' }, machine), /--scheduler-etcd-cert: .*pass --etcd-ca and https:\/\/ --etcd endpoints/)
})

t.test('--agent-tls-cert, --agent-tls-key, --agent-client-ca: all three or none', async t => {
  const files = { agentTlsCert: '/pki/conductor-h1.crt', agentTlsKey: '/pki/conductor-h1.key', agentClientCa: '/pki/ca.crt' }
  t.equal(buildConfig({}, machine).agentTls, undefined, 'none: plain http')
  t.equal(buildConfig({ agentTlsCert: '', agentTlsKey: ' ', agentClientCa: '' }, machine).agentTls, undefined, 'a unit file\'s unset variables: none')
  t.same(buildConfig(files, machine).agentTls, { cert: '/pki/conductor-h1.crt', key: '/pki/conductor-h1.key', clientCa: '/pki/ca.crt' })
  t.throws(() => buildConfig({ ...files, agentClientCa: undefined }, machine), {
    code: 'DKA_CONDUCTOR_BAD_FLAG', flag: 'agent-client-ca',
    message: '--agent-client-ca: missing: the agent API over HTTPS with mutual TLS needs --agent-tls-cert, --agent-tls-key and --agent-client-ca together; pass --agent-client-ca <file> (or none of them)',
  })
  t.throws(() => buildConfig({ agentTlsCert: files.agentTlsCert }, machine), { flag: 'agent-tls-key', message: /^--agent-tls-key: missing: .*pass --agent-tls-key <file>/ })
  t.throws(() => buildConfig({ ...files, agentListen: 'none' }, machine), { flag: 'agent-tls-cert', message: /^--agent-tls-cert: the agent API is off \(--agent-listen none\)/ })
})
