// Issue 12: the conductors' agent API over HTTPS with mutual TLS. A real dokkaa-conductor
// (bed etcd and Docker, its own prefix) given --agent-tls-cert, --agent-tls-key and
// --agent-client-ca advertises an https agent URL; the TLS layer refuses a client without
// a certificate and one of another CA, the API refuses a same-CA certificate that is not
// the builder's (403), the agent token stays a second factor. A real dokkaa-builder given
// --agent-ca/--agent-cert/--agent-key reads an instance's logs through it; one without
// them says which flag it lacks.
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { AGENT_LOGS_ROUTE, KeyLayout, LABELS } from '../../schemas/index.js'
import { tempClusterKeyFile } from '../../test/support/cluster-key.js'
import { removeContainersByLabel } from '../../test/support/docker.js'
import { testEtcd } from '../../test/support/etcd.js'
import { httpsRequest } from '../../test/support/https-request.js'
import { TEST_IMAGE } from '../../test/support/images.js'
import { startTsProcess } from '../../test/support/processes.js'
import { readUntil } from '../../test/support/read-until.js'
import { issueTestCert, tempTestCa, type CertFiles } from '../../test/support/test-pki.js'
import { waitFor } from '../../test/support/wait-for.js'

const pem = async (c: CertFiles) => ({ cert: await readFile(c.cert), key: await readFile(c.key) })

t.test('the agent API with mutual TLS, and a builder reading logs through it', { timeout: 240_000 }, async t => {
  const etcd = testEtcd(t)
  const keys = new KeyLayout(etcd.prefix)
  const hostId = `mtls-${randomBytes(3).toString('hex')}`
  t.teardown(() => removeContainersByLabel(LABELS.host, hostId))
  const ca = await tempTestCa(t, 'cluster-ca')
  const caPem = await readFile(ca.cert)
  const conductorCert = await issueTestCert(ca, `conductor-${hostId}`, { use: 'both', sans: ['IP:127.0.0.1'] })
  const builderCert = await issueTestCert(ca, 'builder', { use: 'both', sans: ['IP:127.0.0.1'] })
  const otherConductor = await issueTestCert(ca, 'conductor-h2', { use: 'both', sans: ['IP:127.0.0.1'] })
  const otherCa = await tempTestCa(t, 'other-ca')
  const intruder = await issueTestCert(otherCa, 'builder', { use: 'client' })

  const secretsDir = await mkdtemp(join(tmpdir(), 'dokkaa-mtls-secrets-'))
  t.teardown(() => rm(secretsDir, { recursive: true, force: true }))
  const conductor = startTsProcess('conductor/main.ts', [
    '--etcd', etcd.hosts.join(','), '--prefix', etcd.prefix, '--host-id', hostId, '--host-address', '127.0.0.1',
    '--ambassador-address', 'none', '--agent-listen', '127.0.0.1:0',
    '--agent-tls-cert', conductorCert.cert, '--agent-tls-key', conductorCert.key, '--agent-client-ca', ca.cert,
    '--cluster-key-file', tempClusterKeyFile(t), '--secrets-dir', secretsDir, '--resync', '2',
  ], {}, { t, name: 'conductor' })

  const host = await waitFor(async () => {
    const v = (await etcd.client.get(keys.host(hostId)).string()) ?? undefined
    return v && JSON.parse(v) as { agentUrl?: string }
  }, { timeoutMs: 60_000, what: `the host record: ${conductor.output()}` })
  t.match(host.agentUrl, /^https:\/\/127\.0\.0\.1:\d+$/, 'the host record advertises an https agent URL')
  const agentUrl = host.agentUrl!
  const token = JSON.parse((await etcd.client.get(keys.agentToken).string())!) as { token: string }
  const auth = { authorization: `Bearer ${token.token}` }
  const probe = `${agentUrl}${AGENT_LOGS_ROUTE.replace(':containerName', 'no-such-container')}`

  // A manifest the conductor's own scheduler places and its agent runs.
  const app = `mtls${randomBytes(3).toString('hex')}`
  await etcd.client.put(keys.manifest({ app, name: 'web' })).value(JSON.stringify({ image: TEST_IMAGE, command: 'echo hello over mutual tls; exec sleep 600' }))
  await waitFor(async () => {
    const v = await etcd.client.get(keys.instance({ app, name: 'web', index: 0 })).string()
    return v && (JSON.parse(v) as { state: string }).state === 'running'
  }, { timeoutMs: 60_000, what: `the instance running: ${conductor.output()}` })

  t.test('a client without a certificate is refused by TLS', async t => {
    await t.rejects(httpsRequest(probe, { ca: caPem, headers: auth }), { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' })
  })

  t.test('a certificate of another CA is refused by TLS', async t => {
    // The server's "unknown ca" alert ends the connection; Node's client mostly reports the reset.
    await t.rejects(httpsRequest(probe, { ca: caPem, client: await pem(intruder), headers: auth }), { code: /^(ERR_SSL_TLSV1_ALERT_UNKNOWN_CA|ECONNRESET)$/ })
  })

  t.test('a plain http client gets no answer from it', async t => {
    await t.rejects(fetch(probe.replace('https:', 'http:'), { headers: auth }))
  })

  t.test('a certificate of the cluster CA with another CN gets a 403 naming the CN allowed', async t => {
    const res = await httpsRequest(probe, { ca: caPem, client: await pem(otherConductor), headers: auth })
    t.equal(res.status, 403)
    t.same(JSON.parse(res.body), {
      error: { code: 'DKA_CONDUCTOR_AGENT_FORBIDDEN', message: 'the client certificate\'s CN is "conductor-h2": only CN "builder" (the builder) may call the agent API' },
    })
  })

  t.test('the builder\'s certificate gets through, and the token is still required', async t => {
    const client = await pem(builderCert)
    const found = await httpsRequest(probe, { ca: caPem, client, headers: auth })
    t.equal(found.status, 404, `past TLS, the CN and the token: the container is looked up (${found.body})`)
    t.equal(JSON.parse(found.body).error.code, 'DKA_CONDUCTOR_AGENT_NOT_FOUND')
    const noToken = await httpsRequest(probe, { ca: caPem, client })
    t.equal(noToken.status, 401, 'no token: 401 even with the builder\'s certificate')
  })

  // Shared by the builders: the first one creates root and writes its password there.
  const dir = await mkdtemp(join(tmpdir(), 'dokkaa-mtls-builder-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  /** A real builder on the same prefix, with these extra flags; its base URL and root's basic auth. */
  async function builder(t: Test, extra: string[]) {
    const proc = startTsProcess('builder/main.ts', [
      '--etcd', etcd.hosts.join(','), '--prefix', etcd.prefix, '--listen', '127.0.0.1:0', '--data-dir', dir,
      '--cluster-key-file', tempClusterKeyFile(t), '--log-level', 'warn', ...extra,
    ], {}, { t, name: 'builder' })
    const line = await proc.waitForLine(/console at http/, { timeoutMs: 60_000 })
    const url = /console at (http:\/\/[^/]+)\/console\//.exec(line)![1]!
    const password = (await readFile(join(dir, 'generated_password.txt'), 'utf8')).trim()
    return { url, proc, headers: { authorization: `Basic ${Buffer.from(`root:${password}`).toString('base64')}` } }
  }
  const logsPath = `/api/v1/apps/${app}/web/instances/0/logs?tail=20`

  t.test('a builder with --agent-ca, --agent-cert and --agent-key reads the logs', async t => {
    const b = await builder(t, ['--agent-ca', ca.cert, '--agent-cert', builderCert.cert, '--agent-key', builderCert.key])
    let last = ''
    const text = await waitFor(async () => {
      const res = await fetch(`${b.url}${logsPath}`, { headers: b.headers })
      last = `${res.status} ${await res.clone().text()}`
      return res.status === 200 && await res.text()
    }, { timeoutMs: 30_000, what: 'the logs through the builder' }).catch(err => { t.comment(last, b.proc.output()); throw err })
    t.equal(text, 'hello over mutual tls\n')
    // follow: the agent's stream, through TLS both ways, stays open until the reader leaves.
    const ctl = new AbortController()
    const res = await fetch(`${b.url}${logsPath}&follow=1`, { headers: b.headers, signal: ctl.signal })
    t.equal(res.status, 200)
    t.equal(await readUntil(res.body!, text => text.includes('\n')), 'hello over mutual tls\n', 'followed logs arrive on the open stream')
    ctl.abort()
    t.same(await b.proc.stop(), { code: 0, signal: null })
  })

  t.test('a builder without --agent-ca says so, as a 502 naming the flag', async t => {
    const b = await builder(t, [])
    const body = await waitFor(async () => {
      const res = await fetch(`${b.url}${logsPath}`, { headers: b.headers })
      return res.status === 502 && await res.json() as { error: { code: string; message: string } }
    }, { timeoutMs: 30_000, what: 'a 502 from the builder' })
    t.equal(body.error.code, 'DKA_BUILDER_AGENT_UNAVAILABLE')
    t.match(body.error.message, `host ${hostId}'s agent at ${agentUrl} serves HTTPS with mutual TLS, but this builder has no --agent-ca: start it with --agent-ca <file>`)
    const warning = await b.proc.waitForLine(/serve their agent API over HTTPS, but the builder has no --agent-ca/, { timeoutMs: 10_000 })
    t.match(JSON.parse(warning), { level: 40, hosts: [hostId] }, 'its log says so at start, naming the hosts')
  })

  t.test('a builder whose client certificate is not the builder\'s reports the agent\'s 403', async t => {
    const b = await builder(t, ['--agent-ca', ca.cert, '--agent-cert', otherConductor.cert, '--agent-key', otherConductor.key])
    const body = await waitFor(async () => {
      const res = await fetch(`${b.url}${logsPath}`, { headers: b.headers })
      return res.status === 502 && await res.json() as { error: { message: string } }
    }, { timeoutMs: 30_000, what: 'a 502 from the builder' })
    t.match(body.error.message, `host ${hostId}'s agent answered 403: the client certificate's CN is "conductor-h2": only CN "builder" (the builder) may call the agent API`)
  })

  t.test('a conductor given only some of the agent TLS flags refuses to start, naming the missing one', async t => {
    const proc = startTsProcess('conductor/main.ts', ['--host-id', `${hostId}-x`, '--agent-tls-cert', conductorCert.cert, '--agent-tls-key', conductorCert.key],
      { DOKKAA_ETCD: etcd.hosts.join(','), DOKKAA_PREFIX: etcd.prefix }, { t })
    t.equal((await proc.exited).code, 2, proc.output())
    t.match(proc.stderr.join('\n'), 'dokkaa-conductor: --agent-client-ca: missing: the agent API over HTTPS with mutual TLS needs --agent-tls-cert, --agent-tls-key and --agent-client-ca together; pass --agent-client-ca <file>')
  })

  t.test('a conductor given a key others may read refuses to start', async t => {
    const { chmod } = await import('node:fs/promises')
    const loose = await issueTestCert(ca, 'loose-conductor', { use: 'both', sans: ['IP:127.0.0.1'] })
    await chmod(loose.key, 0o644)
    const proc = startTsProcess('conductor/main.ts', ['--host-id', `${hostId}-y`], {
      DOKKAA_ETCD: etcd.hosts.join(','), DOKKAA_PREFIX: etcd.prefix,
      DOKKAA_AGENT_TLS_CERT: loose.cert, DOKKAA_AGENT_TLS_KEY: loose.key, DOKKAA_AGENT_CLIENT_CA: ca.cert,
    }, { t })
    t.equal((await proc.exited).code, 2, proc.output())
    t.match(proc.stderr.join('\n'), `dokkaa-conductor: --agent-tls-key: ${loose.key} is readable by group or others (mode 644): chmod 600 ${loose.key}`)
  })

  t.test('stops cleanly', async t => {
    t.same(await conductor.stop(), { code: 0, signal: null })
  })
})
