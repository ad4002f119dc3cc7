// The TLS store's inputs with real certificates (Debian's openssl, test/support/test-pki.ts):
// what --tls-dir serves and what it skips with a reason, and a sealed certificate from
// etcd that opens only under its own name and the cluster's key.
import { randomBytes } from 'node:crypto'
import { chmod, copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { clusterKey } from '../kit/secret-box.js'
import { tlsCertAad } from '../schemas/index.js'
import { issueTestCert, tempTestCa } from '../test/support/test-pki.js'
import { readTlsDir } from './tls-dir.js'
import { TlsStore } from './tls-store.js'
import { openCertRecord } from './tls-watch.js'

t.test('--tls-dir: <hostname>.crt + <hostname>.key pairs; the rest skipped with the fix', async (t) => {
  const ca = await tempTestCa(t)
  const dir = await mkdtemp(join(tmpdir(), 'dokkaa-tls-files-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const put = async (name: string, from: { cert: string; key: string }, mode = 0o600, key = true) => {
    await copyFile(from.cert, join(dir, `${name}.crt`))
    if (key) { await copyFile(from.key, join(dir, `${name}.key`)); await chmod(join(dir, `${name}.key`), mode) }
  }
  const good = await issueTestCert(ca, 'good.example.test', { use: 'server', sans: ['DNS:good.example.test'] })
  const other = await issueTestCert(ca, 'other.example.test', { use: 'server', sans: ['DNS:other.example.test'] })
  await put('good.example.test', good)
  await put('loose.example.test', good, 0o644)
  await put('nokey.example.test', good, 0o600, false)
  await put('localhost', good)
  await copyFile(good.cert, join(dir, 'mismatch.example.test.crt'))
  await writeFile(join(dir, 'mismatch.example.test.key'), await readFile(other.key), { mode: 0o600 })
  await writeFile(join(dir, 'README'), 'not a certificate')

  const { certs, problems } = await readTlsDir(dir)
  t.same([...certs.keys()], ['good.example.test'], 'only the good pair is served')
  t.match(problems.join('\n'), /loose\.example\.test\.key is readable by group or others \(mode 644\): chmod 600/)
  t.match(problems.join('\n'), /nokey\.example\.test\.crt has no key: put it in .*nokey\.example\.test\.key/)
  t.match(problems.join('\n'), /"localhost" is not a host name/)
  t.match(problems.join('\n'), /mismatch\.example\.test\.crt: cannot be served: .*key values mismatch/)

  const store = new TlsStore()
  store.setFiles(certs)
  t.ok(store.context('GOOD.example.test'), 'a handshake for the name finds its context')
  t.equal(store.context('other.example.test'), undefined, 'no certificate: no context, the handshake fails')
  t.ok(store.hasCert('good.example.test:8443'))
})

t.test('a sealed certificate from etcd opens under its own name and the cluster key only', async (t) => {
  const ca = await tempTestCa(t)
  const pem = await issueTestCert(ca, 'shop.dokkaa.local', { use: 'server', sans: ['DNS:shop.dokkaa.local'] })
  const pair = { cert: await readFile(pem.cert, 'utf8'), key: await readFile(pem.key, 'utf8') }
  const key = clusterKey(randomBytes(32))
  const record = (name: string, sealedFor = name) => JSON.stringify({
    hostname: name, serial: 'AB', notBefore: new Date().toISOString(), notAfter: new Date().toISOString(), updatedAt: new Date().toISOString(),
    sealed: key.seal(Buffer.from(JSON.stringify(pair)), tlsCertAad(sealedFor)),
  })
  const loaded = openCertRecord('shop.dokkaa.local', record('shop.dokkaa.local'), key)
  t.equal(typeof loaded, 'object', 'it opens and becomes a secure context')
  t.match(openCertRecord('shop.dokkaa.local', record('shop.dokkaa.local', 'evil.dokkaa.local'), key), /does not open/, 'sealed for another name: refused')
  t.match(openCertRecord('shop.dokkaa.local', record('shop.dokkaa.local'), clusterKey(randomBytes(32))), /sealed under cluster key .* copy the cluster's key file/, 'another cluster key: refused, saying which')
  t.match(openCertRecord('shop.dokkaa.local', record('shop.dokkaa.local'), undefined), /no usable cluster key/)
  t.match(openCertRecord('shop.dokkaa.local', record('www.dokkaa.local'), key), /not a certificate record for this name/, 'a record moved to another key')
})
