// Issue 12: the builder over HTTPS (--tls-cert/--tls-key), a real dokkaa-builder on the
// bed's etcd. Plain http gets no answer; a client that does not trust the cluster CA is
// refused by its own TLS check; one that does gets the API and the console, and the session
// cookie is Secure. dokkaacfg: `login --ca` works and the later commands use the CA it
// remembered; without --ca the error names the flag.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { runCli } from '../cfg-cli/cli-test-support.js'
import { tempClusterKeyFile } from '../test/support/cluster-key.js'
import { testEtcd } from '../test/support/etcd.js'
import { httpsRequest } from '../test/support/https-request.js'
import { startTsProcess } from '../test/support/processes.js'
import { issueTestCert, tempTestCa } from '../test/support/test-pki.js'

t.test('a builder serving HTTPS', { timeout: 180_000 }, async t => {
  const etcd = testEtcd(t)
  const ca = await tempTestCa(t, 'cluster-ca')
  const caPem = await readFile(ca.cert)
  const cert = await issueTestCert(ca, 'builder', { use: 'both', sans: ['IP:127.0.0.1', 'DNS:localhost'] })
  const dir = await mkdtemp(join(tmpdir(), 'dokkaa-https-builder-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const builder = startTsProcess('builder/main.ts', [
    '--etcd', etcd.hosts.join(','), '--prefix', etcd.prefix, '--listen', '127.0.0.1:0', '--data-dir', dir,
    '--cluster-key-file', tempClusterKeyFile(t), '--log-level', 'warn',
  ], { DOKKAA_TLS_CERT: cert.cert, DOKKAA_TLS_KEY: cert.key }, { t, name: 'builder' })
  const line = await builder.waitForLine(/console at http/, { timeoutMs: 60_000 })
  const url = /console at (https?:\/\/[^/]+)\/console\//.exec(line)![1]!
  t.match(url, /^https:\/\/127\.0\.0\.1:\d+$/, 'it prints an https URL')
  const passwordFile = join(dir, 'generated_password.txt')
  const password = (await readFile(passwordFile, 'utf8')).trim()
  const basic = { authorization: `Basic ${Buffer.from(`root:${password}`).toString('base64')}` }

  t.test('a plain http request gets no answer', async t => {
    await t.rejects(fetch(`${url.replace('https:', 'http:')}/api/v1/session`))
  })

  t.test('a client that does not trust the cluster CA refuses the certificate', async t => {
    await t.rejects(fetch(`${url}/api/v1/session`), { cause: { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' } })
    await t.rejects(httpsRequest(`${url}/api/v1/session`), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' })
  })

  t.test('a client with the CA gets the API and the console; the session cookie is Secure', async t => {
    const apps = await httpsRequest(`${url}/api/v1/apps`, { ca: caPem, headers: basic })
    t.equal(apps.status, 200, apps.body)
    t.same(JSON.parse(apps.body), [])
    const console = await httpsRequest(`${url}/console/`, { ca: caPem })
    t.equal(console.status, 200)
    t.match(console.body, /<html/i)
    const login = await httpsRequest(`${url}/api/v1/login`, {
      ca: caPem, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'root', password }),
    })
    t.equal(login.status, 200, login.body)
    const cookie = login.headers['set-cookie']?.find(c => c.startsWith('dokkaa_session='))
    t.ok(cookie, 'a session cookie is set')
    const attributes = cookie!.split(/;\s*/).slice(1).map(a => a.toLowerCase())
    for (const a of ['secure', 'httponly', 'samesite=strict']) t.ok(attributes.includes(a), `${a}: ${cookie}`)
    const me = await httpsRequest(`${url}/api/v1/me`, { ca: caPem, headers: { cookie: cookie!.split(';')[0]! } })
    t.equal(me.status, 200, 'the cookie logs in over https')
    t.equal(JSON.parse(me.body).user, 'root')
  })

  t.test('dokkaacfg login --ca, then the other commands', async t => {
    const cfgDir = await mkdtemp(join(tmpdir(), 'dokkaacfg-https-'))
    t.teardown(() => rm(cfgDir, { recursive: true, force: true }))
    const env = { ...process.env, DOKKAA_CONFIG: join(cfgDir, 'credentials.json'), DOKKAA_URL: undefined, DOKKAA_TOKEN: undefined, DOKKAA_CA: undefined }
    const run = (...args: string[]) => runCli(args, env)

    const untrusted = await run('login', '--url', url, '--password-file', passwordFile)
    t.equal(untrusted.status, 5, untrusted.stderr)
    t.match(untrusted.stderr, `error: the builder at ${url} shows a certificate that no CA this machine trusts signed: pass the cluster CA with --ca (UNABLE_TO_VERIFY_LEAF_SIGNATURE)`)
    t.match(untrusted.stderr, 'hint: give the cluster CA that signed the builder\'s certificate: `dokkaacfg login --url URL --ca <ca.crt>`')
    t.notMatch(untrusted.stderr, /    at /, 'no stack trace')

    const other = await tempTestCa(t, 'other-ca')
    const wrongCa = await run('login', '--url', url, '--password-file', passwordFile, '--ca', other.cert)
    t.equal(wrongCa.status, 5)
    t.match(wrongCa.stderr, `the CA in ${other.cert} (--ca) did not sign`)

    const missing = await run('login', '--url', url, '--password-file', passwordFile, '--ca', join(cfgDir, 'nope.crt'))
    t.equal(missing.status, 2, 'an unreadable --ca file is a usage error')
    t.match(missing.stderr, `error: --ca: cannot read the cluster CA certificate ${join(cfgDir, 'nope.crt')}`)

    const login = await run('login', '--url', url, '--password-file', passwordFile, '--ca', ca.cert)
    t.equal(login.status, 0, login.stderr)
    t.match(login.stdout, `logged in to ${url} as root`)
    t.match(JSON.parse(await readFile(env.DOKKAA_CONFIG, 'utf8')), { url, user: 'root', ca: ca.cert }, 'the CA file is remembered')

    const ls = await run('--json', 'ls')
    t.equal(ls.status, 0, ls.stderr)
    t.same(JSON.parse(ls.stdout), [], 'a later command trusts the remembered CA')
    const hosts = await run('hosts')
    t.equal(hosts.status, 0, hosts.stderr)
  })
})
