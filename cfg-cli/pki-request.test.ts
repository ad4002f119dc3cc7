import t from 'tap'
import { assertCertRequest, certRequestProblems, dnsNameProblem, ipAddressProblem, type CertRequest } from './pki-request.js'
import { leafExtensions } from './pki.js'

const req = (over: Partial<CertRequest> = {}): CertRequest =>
  ({ name: 'conductor-h1', commonName: 'conductor-h1', dnsNames: ['h1.example.com'], ipAddresses: ['10.0.0.2'], usage: 'server+client', days: 90, ...over })

t.test('a valid request passes; its extensions file says what it is', async t => {
  assertCertRequest(req())
  t.equal(leafExtensions(req()), [
    '[leaf]', 'basicConstraints = critical,CA:FALSE', 'keyUsage = critical,digitalSignature', 'extendedKeyUsage = serverAuth,clientAuth',
    'subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid,issuer', 'subjectAltName = @san', '[san]', 'DNS.1 = h1.example.com', 'IP.1 = 10.0.0.2', ''].join('\n'))
  t.notMatch(leafExtensions(req({ dnsNames: [], ipAddresses: [], usage: 'client' })), /subjectAltName|\[san\]/, 'no SANs, no empty section')
  t.match(leafExtensions(req({ usage: 'server' })), /^extendedKeyUsage = serverAuth$/m)
  t.match(leafExtensions(req({ usage: 'client' })), /^extendedKeyUsage = clientAuth$/m)
  t.equal(certRequestProblems(req({ ipAddresses: ['::1', 'fd00::2'], dnsNames: ['localhost', 'a-b.c9.example'] })).length, 0, 'IPv6 and hyphens')
})

t.test('nothing that could rewrite openssl\'s subject or config gets through', async t => {
  // Each would add a subject attribute, a config line or section, or a wildcard.
  const dnsAttacks = ['a.example.com\nIP.9 = 1.2.3.4', 'a,DNS:b', '*.example.com', 'a..b', '-a.com', 'a.com.', 'a b', 'a=b', 'a/b', `${'a'.repeat(64)}.com`, '', '10.0.0.300']
  for (const d of dnsAttacks) t.match(dnsNameProblem(d), /^DNS name .*: use dot-separated labels/, JSON.stringify(d))
  for (const ip of ['10.0.0.256', '10.0.0.1\n', '10.0.0.1/24', 'localhost', '']) t.match(ipAddressProblem(ip), /is not an IPv4 or IPv6 address$/, JSON.stringify(ip))
  const cnAttacks = ['a/O=evil', 'a+OU=x', 'a\\b', 'a\nb', ' a', 'a ', '', 'x'.repeat(65), 'a=b', 'é']
  for (const cn of cnAttacks) t.match(certRequestProblems(req({ commonName: cn })).join(), /common name .*: use 1-64 of/, JSON.stringify(cn))
  t.same(certRequestProblems(req({ commonName: 'Dokkaa cluster CA' })), [], 'inner spaces are fine')
})

t.test('file names, usages and validity; all problems in one message', async t => {
  t.match(certRequestProblems(req({ name: 'ca' })), [/"ca" is the CA's own/])
  for (const n of ['../x', 'a/b', 'A', '.hidden', '']) t.match(certRequestProblems(req({ name: n })), [/certificate name .*: use 1-100 of a-z/], n)
  t.match(certRequestProblems(req({ usage: 'peer' as CertRequest['usage'] })), [/usage "peer": use one of server, client, server\+client/])
  for (const d of [0, -1, 1.5, 36501, NaN]) t.match(certRequestProblems(req({ days: d })), [/validity of .* days: use a whole number of days from 1 to 36500/], String(d))
  t.throws(() => assertCertRequest(req({ dnsNames: ['*'], ipAddresses: ['x'] })), {
    code: 'DKA_CFG_USAGE', message: /^certificate "conductor-h1": DNS name "\*": .*; IP address "x" is not/,
  })
})
