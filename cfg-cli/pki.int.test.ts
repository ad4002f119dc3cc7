// The cluster PKI with the real openssl: a CA and every kind of certificate the plan asks
// for, checked by openssl itself, by node's parser, by a real mutual-TLS handshake, and
// through `dokkaacfg certs ls` run as a user runs it.
import { execFileSync } from 'node:child_process'
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import tls from 'node:tls'
import t, { type Test } from 'tap'
import { runCli } from './cli-test-support.js'
import { componentPlan, ensureCa, issue, readCertInfo, verifyChain, type Ca, type CertRequest } from './pki.js'

const root = mkdtempSync(join(tmpdir(), 'dokkaa-pki-test-'))
t.teardown(() => rmSync(root, { recursive: true, force: true }))
const dir = join(root, 'pki')
const otherDir = join(root, 'other')

/** openssl's own verdict, exit status and output. */
function opensslVerify(args: string[]): { ok: boolean; out: string } {
  try {
    return { ok: true, out: execFileSync('openssl', ['verify', ...args], { encoding: 'utf8', stdio: 'pipe' }) }
  } catch (e) {
    const err = e as { stdout: string; stderr: string }
    return { ok: false, out: err.stdout + err.stderr }
  }
}

const hosts = [
  { id: 'h1', address: '127.0.0.1', etcd: true, builder: true },
  { id: 'h2', address: 'h2.example.com', etcd: false, builder: false },
]
const plan = componentPlan({ hosts, days: 90 })
// The plan has no server-only certificate; one for the handshake's "wrong usage" cases.
const webOnly: CertRequest = { name: 'web', commonName: 'web', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], usage: 'server', days: 90 }
let ca: Ca
let foreignCa: Ca

t.before(async () => {
  ca = await ensureCa(dir, { commonName: 'Dokkaa test CA', days: 365 })
  for (const r of [...plan, webOnly]) await issue(dir, ca, r)
  // Another cluster's CA with the same name: only the signature tells them apart.
  foreignCa = await ensureCa(otherDir, { commonName: 'Dokkaa test CA' })
  await issue(otherDir, foreignCa, plan.find(r => r.name === 'dokkaacfg')!)
})

t.test('files and modes: keys 0600, certificates 0644, no temporary file left', async t => {
  t.ok(ca.created)
  const names = [...plan, webOnly].map(r => r.name).concat('ca')
  t.same(readdirSync(dir).sort(), names.flatMap(n => [`${n}.crt`, `${n}.key`]).sort())
  for (const n of names) {
    t.equal(statSync(join(dir, `${n}.key`)).mode & 0o777, 0o600, `${n}.key 0600`)
    t.equal(statSync(join(dir, `${n}.crt`)).mode & 0o777, 0o644, `${n}.crt 0644`)
    const key = createPrivateKey(readFileSync(join(dir, `${n}.key`)))
    t.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1', `${n}: EC P-256`)
    t.ok(new X509Certificate(readFileSync(join(dir, `${n}.crt`))).checkPrivateKey(key), `${n}: the key is the certificate's`)
  }
})

t.test('openssl verify accepts every certificate for its purpose, and nothing of another CA', async t => {
  const caFile = join(dir, 'ca.crt')
  for (const r of [...plan, webOnly]) {
    const crt = join(dir, `${r.name}.crt`)
    t.ok(opensslVerify(['-CAfile', caFile, crt]).ok, `${r.name} verifies`)
    t.equal(opensslVerify(['-CAfile', caFile, '-purpose', 'sslserver', crt]).ok, r.usage !== 'client', `${r.name}: sslserver purpose iff serverAuth`)
    t.equal(opensslVerify(['-CAfile', caFile, '-purpose', 'sslclient', crt]).ok, r.usage !== 'server', `${r.name}: sslclient purpose iff clientAuth`)
    t.same(verifyChain(caFile, crt), { ok: true })
  }
  const foreign = join(otherDir, 'dokkaacfg.crt')
  const refused = opensslVerify(['-CAfile', caFile, foreign])
  t.notOk(refused.ok, 'another CA\'s certificate refused')
  t.match(refused.out, /unable to get local issuer certificate|certificate signature failure/)
  t.match(verifyChain(caFile, foreign), { ok: false, reason: /another CA of the same name/ }, 'same CA name, other key')
  t.match(verifyChain(join(dir, 'builder.crt'), join(dir, 'dokkaacfg.crt')), { ok: false, reason: /is not a CA certificate/ })
  const text = execFileSync('openssl', ['x509', '-in', join(dir, 'etcd-h1.crt'), '-noout', '-text'], { encoding: 'utf8' })
  t.match(text, /Signature Algorithm: ecdsa-with-SHA256/)
  t.match(text, /Basic Constraints: critical\s+CA:FALSE/)
  t.match(text, /Key Usage: critical\s+Digital Signature\n/)
})

t.test('read back: CN, usage, SANs as planned; the CA as a CA', async t => {
  for (const r of [...plan, webOnly]) {
    const info = readCertInfo(join(dir, `${r.name}.crt`))
    t.match(info, { commonName: r.commonName, usage: r.usage, dnsNames: r.dnsNames, ipAddresses: r.ipAddresses, isCa: false, issuer: 'CN=Dokkaa test CA' }, r.name)
    const days = (Date.parse(info.notAfter) - Date.parse(info.notBefore)) / 86_400_000
    t.equal(days, 90, `${r.name}: 90 days`)
  }
  t.match(readCertInfo(join(dir, 'etcd-h1.crt')), { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] }, 'the host address 127.0.0.1 once')
  t.match(ca.info, { commonName: 'Dokkaa test CA', usage: 'ca', isCa: true, subject: 'CN=Dokkaa test CA' })
  const serials = new Set([...plan, webOnly].map(r => readCertInfo(join(dir, `${r.name}.crt`)).serial))
  t.equal(serials.size, plan.length + 1, 'every serial different')
})

t.test('ensureCa never replaces the CA; a lost ca.crt comes back from ca.key; a lost key is an error', async t => {
  const key = readFileSync(ca.keyFile, 'utf8')
  chmodSync(ca.keyFile, 0o644)
  const again = await ensureCa(dir, { commonName: 'Another name', days: 10 })
  t.match(again, { created: false, info: { fingerprint: ca.info.fingerprint, commonName: 'Dokkaa test CA' } })
  t.equal(readFileSync(ca.keyFile, 'utf8'), key)
  t.equal(statSync(ca.keyFile).mode & 0o777, 0o600, 'its key\'s mode put back')

  const crashed = join(root, 'crashed')
  const first = await ensureCa(crashed, { commonName: 'Crashed CA' })
  const leaf = await issue(crashed, first, { ...webOnly, name: 'leaf' })
  unlinkSync(first.certFile)
  const remade = await ensureCa(crashed, { commonName: 'Crashed CA' })
  t.ok(remade.created)
  t.same(verifyChain(remade.certFile, leaf.certFile), { ok: true }, 'the same key: what it signed still verifies')

  unlinkSync(remade.keyFile)
  await t.rejects(ensureCa(crashed, { commonName: 'Crashed CA' }), { code: 'DKA_CFG_FAILED', message: /ca\.crt exists without its key .*ca\.key/ })
  t.ok(readFileSync(remade.certFile), 'ca.crt left alone')
})

t.test('issue refuses a bad request before running anything; issued again, a new key', async t => {
  await t.rejects(issue(dir, ca, { ...webOnly, name: 'evil', dnsNames: ['a\nIP.2 = 10.9.9.9'] }), { code: 'DKA_CFG_USAGE', message: /DNS name/ })
  t.notOk(readdirSync(dir).some(f => f.startsWith('evil')), 'no file written')
  await t.rejects(ensureCa(join(root, 'bad-ca'), { commonName: 'a/O=x' }), { code: 'DKA_CFG_USAGE', message: /^the cluster CA: common name/ })

  const before = readFileSync(join(dir, 'web.key'), 'utf8')
  const again = await issue(dir, ca, webOnly)
  t.not(readFileSync(again.keyFile, 'utf8'), before, 'a new key')
  t.equal(statSync(again.keyFile).mode & 0o777, 0o600)
  t.same(verifyChain(ca.certFile, again.certFile), { ok: true })
  t.ok(new X509Certificate(readFileSync(again.certFile)).checkPrivateKey(createPrivateKey(readFileSync(again.keyFile))))
})

t.test('no openssl on the PATH: a precondition error saying what to install', async t => {
  const path = process.env.PATH
  process.env.PATH = join(root, 'empty-bin')
  t.teardown(() => { process.env.PATH = path })
  await t.rejects(ensureCa(join(root, 'no-openssl'), { commonName: 'x' }), { code: 'DKA_CFG_PRECONDITION', message: 'openssl is not installed', hint: 'apt-get install openssl' })
})

/** One TLS connection to `port`; what the server said, or why it failed. */
function connect(port: number, client: { cert?: Buffer; key?: Buffer }): Promise<{ said: string; error?: string }> {
  return new Promise(resolve => {
    let said = ''
    let error: string | undefined
    const s = tls.connect({ host: '127.0.0.1', port, ca: readFileSync(ca.certFile), ...client })
    s.on('data', d => { said += d })
    s.on('error', e => { error = e.message })
    s.on('close', () => resolve({ said, error }))
  })
}

const pair = (base: string, name: string) => ({ cert: readFileSync(join(base, `${name}.crt`)), key: readFileSync(join(base, `${name}.key`)) })

/** A mutual-TLS server with `name`'s certificate; `refusals` collects why it refused clients. */
async function withServer(t: Test, name: string, fn: (port: number, refusals: string[]) => Promise<void>): Promise<void> {
  const refusals: string[] = []
  const server = tls.createServer({ ...pair(dir, name), ca: readFileSync(ca.certFile), requestCert: true, rejectUnauthorized: true }, s => {
    // The CN a client proves is the identity etcd's RBAC will see.
    s.end(`hello ${(s.getPeerCertificate() as { subject: { CN: string } }).subject.CN}`)
  })
  server.on('tlsClientError', e => refusals.push(e.message))
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => server.close(() => resolve())))
  await fn((server.address() as AddressInfo).port, refusals)
}

t.test('mutual TLS: the cluster\'s client certificates get in; none, another CA\'s or a server-only one do not', async t => {
  await withServer(t, 'etcd-h1', async (port, refusals) => {
    t.same(await connect(port, pair(dir, 'dokkaacfg')), { said: 'hello dokkaacfg', error: undefined }, 'the admin')
    t.same(await connect(port, pair(dir, 'ambassador-h2')), { said: 'hello ambassador-h2', error: undefined }, 'an ambassador')
    t.same(refusals, [])
    // With TLS 1.3 the client may finish its side before the server checks its certificate:
    // a refusal shows as a connection closed with nothing said.
    t.match(await connect(port, {}), { said: '' }, 'no client certificate')
    t.match(await connect(port, pair(otherDir, 'dokkaacfg')), { said: '' }, 'another CA\'s')
    t.match(await connect(port, pair(dir, 'web')), { said: '' }, 'a server-only certificate as a client')
    // Node checks a presented certificate after the handshake and just drops the socket
    // (why is openssl verify's part above); only a missing one fails inside OpenSSL.
    for (let i = 0; i < 100 && refusals.length < 3; i++) await new Promise(resolve => setTimeout(resolve, 20))
    t.equal(refusals.length, 3, 'three clients refused')
    t.match(refusals[0], /peer did not return a certificate/)
  })
  await withServer(t, 'ambassador-h1', async port => {
    t.match(await connect(port, pair(dir, 'dokkaacfg')), { said: '', error: /unsuitable certificate purpose/ }, 'the client refuses a client-only certificate as a server')
  })
})

t.test('dokkaacfg certs ls over the directory: table, --json, expired, junk, foreign', async t => {
  const ls = join(root, 'ls')
  const lsCa = await ensureCa(ls, { commonName: 'Dokkaa test CA', days: 365 })
  await issue(ls, lsCa, plan.find(r => r.name === 'etcd-h1')!)
  await issue(ls, lsCa, plan.find(r => r.name === 'dokkaacfg')!)
  // An expired certificate: openssl 3.0 signs with -days 0 (notAfter = notBefore = now).
  const csr = execFileSync('openssl', ['req', '-new', '-key', join(ls, 'dokkaacfg.key'), '-subj', '/CN=old'])
  const old = execFileSync('openssl', ['x509', '-req', '-CA', lsCa.certFile, '-CAkey', lsCa.keyFile, '-days', '0', '-set_serial', '7'], { input: csr })
  writeFileSync(join(ls, 'old.crt'), old)
  writeFileSync(join(ls, 'junk.crt'), 'not a certificate\n')
  copyFileSync(join(otherDir, 'dokkaacfg.crt'), join(ls, 'foreign.crt'))

  const table = await runCli(['certs', 'ls', '--pki-dir', ls])
  t.equal(table.status, 0, table.stderr)
  const lines = table.stdout.trimEnd().split('\n')
  t.match(lines[0], /^NAME\s+SUBJECT\s+USAGE\s+SANS\s+EXPIRES$/)
  t.match(lines[1], /^ca\s+Dokkaa test CA\s+ca\s+-\s+\d{4}-\d\d-\d\d \(in 36[45] days\)$/, 'the CA first')
  t.match(table.stdout, /^dokkaacfg\s+dokkaacfg\s+client\s+-\s+\d{4}-\d\d-\d\d \(in 8[89] days\)$/m)
  t.match(table.stdout, /^etcd-h1\s+etcd-h1\s+server\+client\s+localhost,127\.0\.0\.1\s/m)
  t.match(table.stdout, /^old\s+old\s+other\s+-\s+\d{4}-\d\d-\d\d \(EXPIRED today\)$/m)
  t.match(table.stdout, /^junk\s+-\s+-\s+-\s+unreadable: not a certificate \(/m)
  t.match(table.stdout, /^foreign: not signed by this directory's ca\.crt: .*another CA of the same name/m)

  const json = await runCli(['certs', 'ls', '--pki-dir', ls, '--json'])
  t.equal(json.status, 0, json.stderr)
  const rows = JSON.parse(json.stdout) as { name: string; status: string; signedByCa: boolean | null; notAfter?: string }[]
  t.same(rows.map(r => [r.name, r.status, r.signedByCa ?? null]), [
    ['ca', 'valid', null], ['dokkaacfg', 'valid', true], ['etcd-h1', 'valid', true], ['foreign', 'valid', false], ['junk', 'unreadable', null], ['old', 'expired', true],
  ])

  const missing = await runCli(['certs', 'ls', '--pki-dir', join(root, 'nope')])
  t.equal(missing.status, 6)
  t.match(missing.stderr, `error: no PKI directory ${join(root, 'nope')}`)
  t.equal(missing.stdout, '')
})
