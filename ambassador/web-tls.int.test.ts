// Issue 12, test 4: HTTPS for web services with real parts, loopback only. Debian's pebble
// (Let's Encrypt's test ACME server) validates HTTP-01 for real against ambassador A's web
// port; a real builder orders the certificates (its ACME client trusts pebble's HTTPS
// through /config/acme's caFile, a test CA); a real conductor runs the web container on the
// real engine; two real ambassadors, "hosts" 127.0.0.2 and 127.0.0.3, serve it over HTTPS
// with the certificates from etcd, redirect plain HTTP, answer challenges from etcd, and
// serve a --tls-dir certificate by SNI. A forced renewal replaces the certificate on both
// while a loop of requests through it sees no failure.
import { randomBytes } from 'node:crypto'
import { chmod, copyFile, mkdtemp, readFile, rm } from 'node:fs/promises'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import t from 'tap'
import { KeyLayout, LABELS, readTlsCertRecord } from '../schemas/index.js'
import { tempClusterKeyFile } from '../test/support/cluster-key.js'
import { removeContainersByLabel } from '../test/support/docker.js'
import { testEtcd } from '../test/support/etcd.js'
import { INDEX_TEXT, TEST_IMAGE } from '../test/support/images.js'
import { startTsProcess } from '../test/support/processes.js'
import { issueTestCert, tempTestCa } from '../test/support/test-pki.js'
import { curl } from '../test/support/curl.js'
import { waitFor } from '../test/support/wait-for.js'
import { freeDnsPort, freePortBlock, freeTcpPort } from './testing/fixtures.js'
import { startPebble } from './testing/pebble.js'

const HOSTS = ['127.0.0.2', '127.0.0.3'] as const
const LONG = { timeoutMs: 90_000, intervalMs: 250 }

/** One HTTPS request on a new connection (a new handshake): the body and the certificate's serial. */
function httpsGet(address: string, port: number, name: string, ca: string): Promise<{ status: number; body: string; serial: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port, servername: name, headers: { host: name }, ca, agent: false, timeout: 5_000 }, (res) => {
      const serial = (res.socket as TLSSocket).getPeerCertificate().serialNumber
      let body = ''
      res.on('data', (d) => { body += d })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, serial }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    req.end()
  })
}

t.test('ACME over HTTP-01 with pebble: HTTPS on every host, redirects, --tls-dir, a renewal without a failed request', async (t) => {
  const etcd = testEtcd(t)
  const keys = new KeyLayout(etcd.prefix)
  const hostId = `tls-${randomBytes(3).toString('hex')}`
  const app = `tls${randomBytes(3).toString('hex')}`
  const [appName, wwwName] = [`${app}.dokkaa.local`, `www.${app}.dokkaa.local`]
  const keyFile = tempClusterKeyFile(t)
  const ca = await tempTestCa(t)
  const tlsDir = await mkdtemp(join(tmpdir(), 'dokkaa-tls-dir-'))
  t.teardown(() => rm(tlsDir, { recursive: true, force: true }))
  const range = await freePortBlock()
  const [webPort, tlsPort] = [await freeTcpPort(), await freeTcpPort()]
  t.teardown(() => removeContainersByLabel(LABELS.host, hostId))

  const pebble = await startPebble(t, ca, HOSTS[0], webPort)
  const common = ['--etcd', etcd.hosts.join(','), '--prefix', etcd.prefix]
  const ambassadors = await Promise.all(HOSTS.map(async (h, i) => {
    const p = startTsProcess('ambassador/main.ts', [...common,
      '--dns-listen', `127.0.0.1:${await freeDnsPort()}`, '--proxy-listen', h, '--port-range', `${range.from}-${range.to}`, '--upstream', 'none',
      '--web-listen', `${h}:${webPort}`, '--web-tls-listen', `${h}:${tlsPort}`, '--cluster-key-file', keyFile,
      ...(i === 0 ? ['--tls-dir', tlsDir] : []), '--log-level', 'debug',
    ], {}, { t, name: `ambassador-${h}` })
    await p.waitForLine('ambassador ready', { timeoutMs: 30_000 })
    return p
  }))
  const builder = startTsProcess('builder/main.ts', [...common, '--listen', '127.0.0.1:0', '--password-file', join(tlsDir, '..', `${hostId}-pw.txt`), '--cluster-key-file', keyFile],
    {}, { t, name: 'builder' })
  t.teardown(() => rm(join(tlsDir, '..', `${hostId}-pw.txt`), { force: true }))
  const builderUrl = (await builder.waitForLine(/console at http/, { timeoutMs: 60_000 })).match(/(http:\/\/[\d.:]+)/)![1]!
  startTsProcess('conductor/main.ts', [...common, '--host-id', hostId, '--host-address', '127.0.0.1', '--port-range', `${range.from}-${range.to}`,
    '--resync', '2', '--ambassador-address', 'none', '--agent-listen', 'none', '--cluster-key-file', keyFile,
    '--secrets-dir', join(tmpdir(), `dokkaa-test-secrets-${hostId}`)], {}, { t, name: 'conductor' })
  t.teardown(() => rm(join(tmpdir(), `dokkaa-test-secrets-${hostId}`), { recursive: true, force: true }))
  const output = () => `--- builder:\n${builder.output().split('\n').slice(-40).join('\n')}\n${ambassadors.map((a) => `--- ${a.name}:\n${a.output().split('\n').slice(-25).join('\n')}`).join('\n')}\n${pebble.output().split('\n').slice(-30).join('\n')}`

  await etcd.client.put(keys.manifest({ app, name: 'web' })).value(JSON.stringify({ image: TEST_IMAGE, services: { www: { port: 80, role: 'web', tls: 'auto' } } }))
  // A bad /config/acme first: said in the status and the log, nothing ordered.
  await etcd.client.put(keys.acmeConfig).value(JSON.stringify({ directory: pebble.directory.replace('https:', 'http:'), email: 'ops' }))
  const bad = await waitFor(async () => { const v = JSON.parse(await etcd.client.get(keys.tlsStatus).string() ?? '{}') as { config?: { problem?: string } }; return v.config?.problem }, { ...LONG, what: 'the bad /config/acme in /tls/status' })
  t.match(bad, /config\/acme is not valid, no certificate is ordered: "directory" must be the ACME directory's https:\/\/ URL.*; "email" must be a contact address/, '/tls/status names the bad fields')
  t.match(await builder.waitForLine(/ACME: .*config\/acme is not valid/), /"level":50/, 'the builder logs it as an error')
  await etcd.client.put(keys.acmeConfig).value(JSON.stringify({ directory: pebble.directory, email: 'ops@example.com', caFile: ca.cert }))

  const certRecord = async (name: string) => readTlsCertRecord(await etcd.client.get(keys.tlsCert(name)).string() ?? '')
  const first = await waitFor(async () => { const [a, w] = [await certRecord(appName), await certRecord(wwwName)]; return a && w && { a, w } }, { ...LONG, what: 'certificates for both names in etcd' })
    .catch((err: Error) => { throw new Error(`${err.message}\n${output()}`) })
  t.pass(`certificates obtained over ACME: ${appName} ${first.a.serial}, ${wwwName} ${first.w.serial}`)
  t.ok(pebble.validations() >= 2, `pebble validated HTTP-01 through ambassador A for real (${pebble.validations()} authorizations)`)
  t.notMatch(await etcd.client.get(keys.tlsCert(appName)).string(), /BEGIN/, 'etcd holds the pair sealed, never PEM')

  // HTTPS on both hosts, trusting only pebble's root, once the container runs.
  for (const h of HOSTS) {
    const r = await waitFor(async () => { const c = await curl('--cacert', pebble.rootFile, '--resolve', `${appName}:${tlsPort}:${h}`, `https://${appName}:${tlsPort}/`); return c.out.trim() === INDEX_TEXT && c }, { ...LONG, what: `HTTPS on ${h}` })
      .catch((err: Error) => { throw new Error(`${err.message}\n${output()}`) })
    t.equal(r.out.trim(), INDEX_TEXT, `curl --cacert <pebble root> https://${appName}:${tlsPort}/ on ${h} reaches the app`)
    const plain = await curl('-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', '--resolve', `${appName}:${webPort}:${h}`, `http://${appName}:${webPort}/a?b=1`)
    t.equal(plain.out, `308 https://${appName}:${tlsPort}/a?b=1`, `plain HTTP on ${h} redirects to HTTPS`)
    const none = await curl('--cacert', pebble.rootFile, '--resolve', `nothing.dokkaa.local:${tlsPort}:${h}`, `https://nothing.dokkaa.local:${tlsPort}/`)
    t.not(none.code, 0, `a name without a certificate fails the handshake on ${h} (curl exit ${none.code})`)
  }

  // Every ambassador answers every challenge from etcd (pebble's DNS sent it to A only).
  const token = randomBytes(24).toString('base64url')
  await etcd.client.put(keys.tlsChallenge(token)).value(`${token}.${randomBytes(32).toString('base64url')}`)
  const answer = await waitFor(async () => (await curl(`http://${HOSTS[1]}:${webPort}/.well-known/acme-challenge/${token}`)).out.startsWith(`${token}.`), { what: 'the challenge on B' })
  t.ok(answer, 'ambassador B answers a challenge from etcd')

  // A certificate of one's own in --tls-dir (ambassador A), picked up without a restart, wins for its name.
  const own = await issueTestCert(ca, wwwName, { use: 'server', sans: [`DNS:${wwwName}`] })
  await copyFile(own.cert, join(tlsDir, `${wwwName}.crt`))
  await copyFile(own.key, join(tlsDir, `${wwwName}.key`))
  await chmod(join(tlsDir, `${wwwName}.key`), 0o600)
  const byo = await waitFor(async () => { const c = await curl('--cacert', ca.cert, '--resolve', `${wwwName}:${tlsPort}:${HOSTS[0]}`, `https://${wwwName}:${tlsPort}/`); return c.code === 0 && c }, { ...LONG, what: 'the --tls-dir certificate served' })
  t.equal(byo.out.trim(), INDEX_TEXT, 'A serves the --tls-dir certificate by SNI (trusted by the test CA)')
  t.equal((await curl('--cacert', pebble.rootFile, '--resolve', `${wwwName}:${tlsPort}:${HOSTS[1]}`, `https://${wwwName}:${tlsPort}/`)).out.trim(), INDEX_TEXT, 'B, without it, serves the ACME one')

  // A forced renewal under a loop of requests: new connections, alternating hosts.
  const rootPem = await readFile(pebble.rootFile, 'utf8')
  const seen = new Map<string, Set<string>>(HOSTS.map((h) => [h, new Set<string>()]))
  let made = 0
  const failures: string[] = []
  let looping = true
  const loop = (async () => {
    for (let i = 0; looping; i++) {
      const h = HOSTS[i % 2]!
      made++
      try {
        const r = await httpsGet(h, tlsPort, appName, rootPem)
        if (r.status !== 200 || r.body.trim() !== INDEX_TEXT) failures.push(`${h}: ${r.status} ${r.body.slice(0, 80)}`)
        else seen.get(h)!.add(r.serial.toUpperCase())
      } catch (err) {
        failures.push(`${h}: ${(err as Error).message}`)
      }
    }
  })()
  await new Promise((r) => setTimeout(r, 1_000))
  const root = `root:${(await readFile(join(tlsDir, '..', `${hostId}-pw.txt`), 'utf8')).trim()}`
  t.equal((await curl('-o', '/dev/null', '-w', '%{http_code}', '-u', root, '-X', 'POST', `${builderUrl}/api/v1/tls/nothing.dokkaa.local/renew`)).out, '404', 'a name nothing is served at: 404')
  const asked = await curl('-u', root, '-X', 'POST', `${builderUrl}/api/v1/tls/${appName}/renew`)
  t.match(JSON.parse(asked.out), { hostname: appName }, `POST /api/v1/tls/${appName}/renew (admin) asks for a renewal`)
  const renewed = await waitFor(async () => { const r = await certRecord(appName); return r && r.serial !== first.a.serial && r }, { ...LONG, what: 'a renewed certificate in etcd' })
    .catch((err: Error) => { throw new Error(`${err.message}\n${output()}`) })
  await waitFor(() => HOSTS.every((h) => seen.get(h)!.has(renewed.serial)), { ...LONG, what: 'the new serial seen on both hosts' })
  await new Promise((r) => setTimeout(r, 1_000))
  looping = false
  await loop
  t.ok(HOSTS.every((h) => seen.get(h)!.has(first.a.serial) && seen.get(h)!.has(renewed.serial)), `clients saw ${first.a.serial} then ${renewed.serial} on both hosts`)
  t.ok(made > 0, `${made} requests made through the renewal`)
  t.same(failures, [], `0 of ${made} requests failed`)
  t.equal(await etcd.client.get(keys.tlsRenew(appName)).string(), null, 'the renewal request is answered and gone')
  t.ok(pebble.validations() >= 3, 'the renewal was validated over HTTP-01 again')
  const status = JSON.parse(await etcd.client.get(keys.tlsStatus).string() ?? '{}') as { config?: { ok: boolean }; names?: Record<string, { state: string; serial?: string }> }
  t.match(status, { config: { ok: true }, names: { [appName]: { state: 'valid', serial: renewed.serial } } }, '/tls/status says what is served')
})
