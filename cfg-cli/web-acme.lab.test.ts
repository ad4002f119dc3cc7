// Issue 12, test 4 on the lab: a two-host cluster made by the real `dokkaacfg up` (its
// ambassadors with --web-tls-listen <host>:443, everything else TLS too), Debian's pebble on
// this machine's loopback validating HTTP-01 for real against host 1's web router. A web
// service with "tls": "auto" gets its certificate through the builder; `curl --cacert
// <pebble root>` reaches it over HTTPS on every host, and plain HTTP redirects. (The forced
// renewal without a failed request: ambassador/web-tls.int.test.ts.)
import t from 'tap'
import { readTlsCertRecord } from '../schemas/index.js'
import { startPebble } from '../ambassador/testing/pebble.js'
import { tempTestCa } from '../test/support/test-pki.js'
import { curl } from '../test/support/curl.js'
import { waitFor } from '../test/support/wait-for.js'
import { allowLabTeardown, canRunLabs, installedDokkaa, installedDokkaaUntouched, upLabCluster } from './lab-test-support.js'
import { nodeEntry } from './local-agents.js'

const skip = canRunLabs() || (!nodeEntry('conductor') || !nodeEntry('ambassador') || !nodeEntry('builder') ? 'needs conductor, ambassador and builder' : false)
const IMAGE = 'dokkaa/busybox:test'
const installed = installedDokkaa()
const TEST_MS = 240_000
allowLabTeardown(t, TEST_MS)

t.test('ACME with pebble on a lab cluster: a tls auto web service over HTTPS on every host', { skip, timeout: TEST_MS }, async t => {
  const c = await upLabCluster(t, { namePrefix: 'dka', scale: 2, image: IMAGE })
  const hosts = c.lab.hosts()
  const ca = await tempTestCa(t)
  const pebble = await startPebble(t, ca, hosts[0]!.address, 80)
  const app = `acme${c.name.slice(-4)}`
  const name = `${app}.dokkaa.local`
  const page = 'hello over https'
  await c.etcd.put(c.keys.manifest({ app, name: 'web' })).value(JSON.stringify({
    image: IMAGE, scale: 2, command: `echo "${page}" > /www/index.html; exec httpd -f -p 80 -h /www`,
    services: { www: { port: 80, role: 'web', tls: 'auto' } },
  }))
  await c.etcd.put(c.keys.acmeConfig).value(JSON.stringify({ directory: pebble.directory, email: 'ops@example.com', caFile: ca.cert }))

  const cert = await waitFor(async () => readTlsCertRecord(await c.etcd.get(c.keys.tlsCert(name)).string() ?? ''), { timeoutMs: 90_000, intervalMs: 500, what: `a certificate for ${name} in etcd` })
    .catch((err: Error) => { throw new Error(`${err.message}\n${pebble.output().split('\n').slice(-30).join('\n')}`) })
  t.pass(`the builder obtained ${name} over ACME (serial ${cert.serial})`)
  t.ok(pebble.validations() >= 1, 'pebble validated HTTP-01 against host 1\'s web router for real')

  for (const h of hosts) {
    const r = await waitFor(async () => {
      const got = await curl('--cacert', pebble.rootFile, '--resolve', `${name}:443:${h.address}`, `https://${name}/`)
      return got.out.trim() === page ? got : undefined
    }, { timeoutMs: 60_000, intervalMs: 500, what: `HTTPS for ${name} on ${h.id}` })
    t.equal(r.out.trim(), page, `curl --cacert <pebble root> https://${name}/ on ${h.id} (${h.address}) reaches the app`)
    const plain = await curl('-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', '--resolve', `${name}:80:${h.address}`, `http://${name}/x`)
    t.equal(plain.out, `308 https://${name}/x`, `plain HTTP on ${h.id} redirects to HTTPS`)
  }
})

installedDokkaaUntouched(t, installed)
