// Issue 12, first step: an etcd of this test's own that requires TLS client certificates
// (--client-cert-auth, https client URLs), started and killed by pid. Plain clients and
// certificates of another CA are refused within a bounded time; kit's client with the
// right files works, and so do a real dokkaa-builder given --etcd-ca/--etcd-cert/--etcd-key
// and a real dokkaa-ambassador given DOKKAA_ETCD_CA/_CERT/_KEY.
import { randomBytes } from 'node:crypto'
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import type { IOptions } from 'etcd3'
import { freeDnsPort, freePortBlock } from '../ambassador/testing/fixtures.js'
import { KeyLayout, LABELS } from '../schemas/index.js'
import { tempClusterKeyFile } from '../test/support/cluster-key.js'
import { removeContainersByLabel } from '../test/support/docker.js'
import { TEST_IMAGE } from '../test/support/images.js'
import { startTsProcess } from '../test/support/processes.js'
import { issueTestCert, tempTestCa } from '../test/support/test-pki.js'
import { waitFor } from '../test/support/wait-for.js'
import { createEtcdClient } from './etcd-client.js'
import { clientWith, startTlsEtcd } from '../test/support/tls-etcd.js'

const DEADLINE_MS = 3000

/** A read that must fail, within a bounded time. */
async function refusal(t: Test, options: IOptions): Promise<void> {
  const client = createEtcdClient({ dialTimeout: 1000, ...options })
  t.teardown(() => client.close())
  const started = Date.now()
  const err = await client.get('anything').options({ deadline: Date.now() + DEADLINE_MS }).string().then(() => undefined, (e: Error) => e)
  // Three attempts (createEtcdClient's retry), each within its dial timeout or the deadline.
  t.ok(Date.now() - started < 4 * DEADLINE_MS, `refused within a bounded time (${Date.now() - started} ms)`)
  if (!err) throw new Error('the read succeeded')
  // grpc-js's UNAVAILABLE ("No connection established"), with the TLS alert or verify error
  // in its last-error part; etcd3 does not turn it into a more telling class.
  t.match(err.message, /UNAVAILABLE/, 'refused as unavailable')
  t.comment(`etcd3 says: ${err.name}: ${err.message}`)
}

t.test('etcd with client-certificate authentication', async t => {
  const etcd = await startTlsEtcd(t)
  const ca = await readFile(etcd.ca.cert)

  t.test('a plain http client is refused', async t => {
    await refusal(t, { hosts: [etcd.url.replace('https:', 'http:')] })
  })

  t.test('TLS without a client certificate is refused', async t => {
    await refusal(t, { hosts: [etcd.url], credentials: { rootCertificate: ca } })
  })

  t.test('a client certificate of another CA is refused', async t => {
    const other = await tempTestCa(t, 'other-ca')
    const intruder = await issueTestCert(other, 'intruder', { use: 'client' })
    await refusal(t, { hosts: [etcd.url], credentials: { rootCertificate: ca, certChain: await readFile(intruder.cert), privateKey: await readFile(intruder.key) } })
  })

  t.test('a server certificate of another CA is not trusted', async t => {
    const other = await tempTestCa(t, 'other-ca')
    await refusal(t, { hosts: [etcd.url], credentials: { rootCertificate: await readFile(other.cert), certChain: await readFile(etcd.client.cert), privateKey: await readFile(etcd.client.key) } })
  })

  t.test('kit\'s client with --etcd-ca, --etcd-cert and --etcd-key puts and gets', async t => {
    const client = await clientWith(t, [etcd.url], etcd.client, etcd.ca)
    await client.put('/tls-test/hello').value('world')
    t.equal(await client.get('/tls-test/hello').string(), 'world')
  })

  t.test('a real dokkaa-builder works against it, given the flags', async t => {
    const dir = await mkdtemp(join(tmpdir(), 'dokkaa-tls-builder-'))
    t.teardown(() => rm(dir, { recursive: true, force: true }))
    const proc = startTsProcess('builder/main.ts', [
      '--etcd', etcd.url, '--etcd-ca', etcd.ca.cert, '--etcd-cert', etcd.client.cert, '--etcd-key', etcd.client.key,
      '--prefix', '/tls-builder', '--listen', '127.0.0.1:0', '--data-dir', dir, '--cluster-key-file', tempClusterKeyFile(t), '--log-level', 'warn',
    ], {}, { t })
    const line = await proc.waitForLine(/console at http/, { timeoutMs: 60_000 })
    const url = /console at (http:\/\/[^/]+)\/console\//.exec(line)![1]!
    const password = (await readFile(join(dir, 'generated_password.txt'), 'utf8')).trim()
    // An authenticated read: the user record and the apps both come from the TLS etcd.
    const res = await fetch(`${url}/api/v1/apps`, { headers: { authorization: `Basic ${Buffer.from(`root:${password}`).toString('base64')}` } })
    t.equal(res.status, 200, `GET /api/v1/apps as root: ${await res.clone().text()}`)
    const client = await clientWith(t, [etcd.url], etcd.client, etcd.ca)
    t.ok((await client.getAll().prefix('/tls-builder/').keys()).length > 0, 'the builder wrote its records there')
    t.same(await proc.stop(), { code: 0, signal: null })
  })

  t.test('a real dokkaa-ambassador comes up on it, given DOKKAA_ETCD_CA, _CERT and _KEY', async t => {
    const range = await freePortBlock()
    const proc = startTsProcess('ambassador/main.ts', [
      '--prefix', '/tls-ambassador', '--dns-listen', `127.0.0.1:${await freeDnsPort()}`, '--proxy-listen', '127.0.0.1',
      '--port-range', `${range.from}-${range.to}`, '--upstream', 'none', '--web-listen', 'none',
    ], { DOKKAA_ETCD: etcd.url, DOKKAA_ETCD_CA: etcd.ca.cert, DOKKAA_ETCD_CERT: etcd.client.cert, DOKKAA_ETCD_KEY: etcd.client.key }, { t })
    await proc.waitForLine('ambassador ready', { timeoutMs: 30_000 })
    t.same(await proc.stop(), { code: 0, signal: null })
  })

  t.test('a real dokkaa-conductor (scheduling too) registers, places and runs an instance through it', async t => {
    const hostId = `tls-${randomBytes(3).toString('hex')}`
    const prefix = `/tls-conductor-${hostId}`
    t.teardown(() => removeContainersByLabel(LABELS.host, hostId))
    const secretsDir = await mkdtemp(join(tmpdir(), 'dokkaa-tls-secrets-'))
    t.teardown(() => rm(secretsDir, { recursive: true, force: true }))
    const proc = startTsProcess('conductor/main.ts', [
      '--etcd', etcd.url, '--etcd-ca', etcd.ca.cert, '--etcd-cert', etcd.client.cert, '--etcd-key', etcd.client.key,
      '--prefix', prefix, '--host-id', hostId, '--host-address', '127.0.0.1', '--ambassador-address', 'none', '--agent-listen', 'none',
      '--cluster-key-file', tempClusterKeyFile(t), '--secrets-dir', secretsDir, '--resync', '2',
    ], {}, { t, name: 'conductor' })
    const client = await clientWith(t, [etcd.url], etcd.client, etcd.ca)
    const keys = new KeyLayout(prefix)
    await client.put(keys.manifest({ app: 'tls', name: 'web' })).value(JSON.stringify({ image: TEST_IMAGE, command: 'exec sleep 600' }))
    const record = await waitFor(async () => {
      const v = await client.get(keys.instance({ app: 'tls', name: 'web', index: 0 })).string()
      const r = v ? JSON.parse(v) as { state: string; host: string } : undefined
      return r?.state === 'running' && r
    }, { timeoutMs: 60_000, what: `the instance running: ${proc.output()}` })
    t.equal(record.host, hostId, 'placed by its scheduler, run by its agent, recorded in the TLS etcd')
    t.same(await proc.stop(), { code: 0, signal: null })
  })

  t.test('a real dokkaa-builder given the files by DOKKAA_ETCD_* refuses a key others may read', async t => {
    const loose = await issueTestCert(etcd.ca, 'loose-client', { use: 'client' })
    await chmod(loose.key, 0o644)
    const proc = startTsProcess('builder/main.ts', ['--listen', '127.0.0.1:0', '--password-file', join(etcd.ca.dir, 'pw.txt'), '--cluster-key-file', tempClusterKeyFile(t)], {
      DOKKAA_ETCD: etcd.url, DOKKAA_ETCD_CA: etcd.ca.cert, DOKKAA_ETCD_CERT: loose.cert, DOKKAA_ETCD_KEY: loose.key, DOKKAA_PREFIX: '/tls-loose',
    }, { t })
    t.equal((await proc.exited).code, 2, proc.output())
    t.match(proc.stderr.join('\n'), `dokkaa-builder: --etcd-key: ${loose.key} is readable by group or others (mode 644): chmod 600 ${loose.key}`)
  })
})
