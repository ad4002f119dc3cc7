// TlsFetcher against a real node:https server of a throwaway CA (test/support/test-pki.ts):
// what callers read off the Response it gives back, and which failures say "not trusted".
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:https'
import t from 'tap'
import { issueTestCert, tempTestCa } from '../test/support/test-pki.js'
import { failureReason, TlsFetcher, untrustedCertificate } from './tls-fetch.js'

t.test('https through the CA given: status, headers, bodies', async t => {
  const ca = await tempTestCa(t)
  const cert = await issueTestCert(ca, 'server', { use: 'server', sans: ['IP:127.0.0.1'] })
  const server = createServer({ cert: await readFile(cert.cert), key: await readFile(cert.key) }, (req, res) => {
    if (req.url === '/empty') { res.statusCode = 204; res.end(); return }
    let body = ''
    req.on('data', (c: Buffer) => { body += c })
    req.on('end', () => {
      res.setHeader('set-cookie', ['a=1', 'b=2'])
      res.setHeader('content-type', 'text/plain')
      res.statusCode = 201
      res.end(`${req.method} ${req.headers.authorization} ${body}`)
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => server.close(() => resolve())))
  const base = `https://127.0.0.1:${(server.address() as { port: number }).port}`
  const fetcher = new TlsFetcher({ ca: await readFile(ca.cert) })
  t.equal(fetcher.hasCa, true)

  const res = await fetcher.fetch(`${base}/x`, { method: 'POST', headers: { authorization: 'Bearer t' }, body: 'hello' })
  t.equal(res.status, 201)
  t.equal(res.ok, true)
  t.equal(res.headers.get('content-type'), 'text/plain')
  t.same(res.headers.getSetCookie(), ['a=1', 'b=2'], 'repeated headers kept apart')
  t.equal(await res.text(), 'POST Bearer t hello')
  const empty = await fetcher.fetch(`${base}/empty`)
  t.equal(empty.status, 204)
  t.equal(empty.body, null)

  const stranger = await tempTestCa(t, 'other-ca')
  const err = await new TlsFetcher({ ca: await readFile(stranger.cert) }).fetch(`${base}/x`).then(() => undefined, (e: unknown) => e)
  t.equal(untrustedCertificate(err), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'another CA: not trusted')
  const system = await new TlsFetcher().fetch(`${base}/x`).then(() => undefined, (e: unknown) => e)
  t.equal(untrustedCertificate(system), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'no CA: the global fetch, whose cause says the same')
  t.equal(failureReason(system), 'unable to verify the first certificate')
})

t.test('other failures are not "untrusted"', async t => {
  const refused = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }) })
  t.equal(untrustedCertificate(refused), undefined)
  t.equal(failureReason(refused), 'connect ECONNREFUSED 127.0.0.1:1')
  t.equal(failureReason('x'), 'x')
})
