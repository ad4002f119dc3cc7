import t from 'tap'
import { isChallengeToken, isKeyAuthorization, isTlsHostname, parseAcmeConfig, readTlsCertRecord, readTlsKeyPair, tlsCertAad, tlsNamesOf } from './acme.js'
import { KeyLayout } from './keys.js'
import { parseManifest, validateManifest } from './validate-manifest.js'
import { assignedSpecHash, containerSpec, specHash } from './spec-hash.js'

t.test('/config/acme: directory, email, caFile, domain', async t => {
  t.same(parseAcmeConfig('{"directory": "https://acme.example/dir", "email": "ops@example.com"}'),
    { ok: true, config: { directory: 'https://acme.example/dir', email: 'ops@example.com', domain: 'dokkaa.local' } }, 'the domain defaults to the router\'s')
  t.same(parseAcmeConfig('{"directory": "https://127.0.0.1:14000/dir", "email": "a@b.c", "caFile": "/etc/dokkaa/acme-ca.pem", "domain": "Apps.Example.com"}'),
    { ok: true, config: { directory: 'https://127.0.0.1:14000/dir', email: 'a@b.c', caFile: '/etc/dokkaa/acme-ca.pem', domain: 'apps.example.com' } })
  const bad = (text: string) => { const r = parseAcmeConfig(text); return r.ok ? [] : r.errors }
  t.match(bad('{'), [/^not JSON: /])
  t.match(bad('[]'), [/must be a JSON object/])
  t.match(bad('{"directory": "http://acme.example/dir", "email": "ops@example.com"}'), [/"directory" must be the ACME directory's https:\/\/ URL/])
  t.match(bad('{"directory": "https://acme.example/dir", "email": "ops"}'), [/"email" must be a contact address/])
  t.match(bad('{"directory": "https://acme.example/dir", "email": "a@b.c", "caFile": "relative.pem"}'), [/"caFile" must be an absolute path/])
  t.match(bad('{"directory": "https://acme.example/dir", "email": "a@b.c", "domain": "local"}'), [/"domain" must be the ambassadors' --domain/])
  t.match(bad('{"directory": "https://acme.example/dir", "email": "a@b.c", "dirctory": 1}'), [/unknown field "dirctory"; allowed: directory, email, caFile, domain/])
  t.equal(bad('{}').length, 2, 'every problem at once')
})

t.test('certificate records: shape-checked as read; the aad names the host', async t => {
  const sealed = { alg: 'aes-256-gcm', keyId: '0123456789abcdef', iv: 'AAAA', tag: 'AAAA', data: 'AAAA' }
  const rec = { hostname: 'shop.dokkaa.local', serial: '0A1B', notBefore: '2026-01-01T00:00:00Z', notAfter: '2026-04-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', sealed }
  t.same(readTlsCertRecord(JSON.stringify(rec)), rec)
  t.equal(readTlsCertRecord(JSON.stringify({ ...rec, hostname: '../x' })), undefined)
  t.equal(readTlsCertRecord(JSON.stringify({ ...rec, notAfter: 'soon' })), undefined)
  t.equal(readTlsCertRecord(JSON.stringify({ ...rec, sealed: { ...sealed, alg: 'none' } })), undefined)
  t.equal(readTlsCertRecord('junk'), undefined)
  t.equal(tlsCertAad('shop.dokkaa.local'), 'dokkaa-tls:shop.dokkaa.local')
  t.same(readTlsKeyPair(Buffer.from(JSON.stringify({ cert: '-----BEGIN CERTIFICATE-----', key: '-----BEGIN PRIVATE KEY-----' }))), { cert: '-----BEGIN CERTIFICATE-----', key: '-----BEGIN PRIVATE KEY-----' })
  t.equal(readTlsKeyPair(Buffer.from('{"cert": "x", "key": "y"}')), undefined)
})

t.test('names, tokens, key authorizations', async t => {
  const cases: [(v: unknown) => boolean, string, boolean][] = [
    [isTlsHostname, 'www.shop.dokkaa.local', true], [isTlsHostname, 'localhost', false], [isTlsHostname, 'Shop.dokkaa.local', false], [isTlsHostname, 'a..b', false],
    [isChallengeToken, 'LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0', true], [isChallengeToken, '../../etc/passwd', false],
    [isKeyAuthorization, 'LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI', true], [isKeyAuthorization, '<script>', false],
  ]
  for (const [check, value, expected] of cases) t.equal(check(value), expected, `${check.name}(${JSON.stringify(value)})`)
})

t.test('keys: under the prefix; host names parsed back', async t => {
  const k = new KeyLayout('/p')
  t.equal(k.acmeConfig, '/p/config/acme')
  t.equal(k.tlsCert('shop.dokkaa.local'), '/p/tls/certs/shop.dokkaa.local')
  t.equal(k.tlsChallenge('tok'), '/p/tls/challenges/tok')
  t.equal(k.parseTlsName('/p/tls/certs/shop.dokkaa.local', k.tlsCertsRoot), 'shop.dokkaa.local')
  t.equal(k.parseTlsName('/p/tls/renew/shop.dokkaa.local', k.tlsRenewRoot), 'shop.dokkaa.local')
  t.equal(k.parseTlsName('/p/tls/certs/x/y', k.tlsCertsRoot), undefined)
  t.equal(k.parseTlsName('/p/tls/certs/NOPE', k.tlsCertsRoot), undefined)
})

t.test('manifest: "tls": "auto" on web services; the names it is served at', async t => {
  const ok = parseManifest('{"image": "x", "services": {"www": {"port": 80, "role": "web", "tls": "auto"}, "db": 5432}}')
  t.ok(ok.ok)
  if (ok.ok) t.same(tlsNamesOf('shop', ok.manifest, 'dokkaa.local'), ['shop.dokkaa.local', 'www.shop.dokkaa.local'])
  const plain = parseManifest('{"image": "x", "services": {"www": {"port": 80, "role": "web"}}}')
  if (plain.ok) t.same(tlsNamesOf('shop', plain.manifest, 'dokkaa.local'), [], 'no tls: no certificate')
  t.same(parseManifest('{"image": "x", "services": {"db": {"port": 5432, "tls": "auto"}}}'),
    { ok: false, errors: [{ path: '/services/db/tls', message: '"tls": "auto" needs "role": "web": the web router terminates TLS for web services only' }] })
  t.same(parseManifest('{"image": "x", "services": {"www": {"port": 80, "role": "web", "tls": "on"}}}'),
    { ok: false, errors: [{ path: '/services/www/tls', message: '"tls" is "auto" (HTTPS with a certificate obtained over ACME), or left out for plain HTTP' }] })
})

t.test('"tls": "auto" on a service changes no spec hash: HTTPS is the router\'s, nothing rolls', async t => {
  const spec = (svc: Record<string, unknown>) => {
    const r = validateManifest({ image: 'busybox', services: { web: { port: 80, role: 'web', ...svc } } })
    if (!r.ok) throw new Error(JSON.stringify(r.errors))
    return containerSpec(r.manifest)
  }
  t.equal(specHash(spec({ tls: 'auto' })), specHash(spec({})), 'tls is not hashed')
  t.not(specHash(spec({ port: 8080 })), specHash(spec({})), 'the port still is')
  t.equal(spec({ tls: 'auto' }).services!['web']!.tls, 'auto', 'but the spec keeps it for the router')
  const v = { configs: { c: { version: 1 } } }
  t.equal(assignedSpecHash(spec({ tls: 'auto' }), v), assignedSpecHash(spec({}), v), 'with configs too')
})
