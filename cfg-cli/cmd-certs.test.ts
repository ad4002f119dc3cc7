import t from 'tap'
import { parseSubjectAltName, type CertInfo } from './cert-info.js'
import { certLines, expiryText, type CertRow } from './cmd-certs.js'

const now = new Date('2026-06-01T12:00:00Z')
const info = (notAfter: string, over: Partial<CertInfo> = {}): CertInfo => ({
  file: '/pki/x.crt', commonName: 'conductor-h1', subject: 'CN=conductor-h1', issuer: 'CN=ca', notBefore: '2026-01-01T00:00:00.000Z', notAfter,
  dnsNames: [], ipAddresses: [], serial: '01', fingerprint: 'AA', isCa: false, extKeyUsage: [], usage: 'client', ...over,
})

t.test('expiry against a fixed clock: in N days, expires soon under 30, EXPIRED after', async t => {
  t.equal(expiryText(info('2027-06-01T12:00:00Z'), now), '2027-06-01 (in 365 days)')
  t.equal(expiryText(info('2026-07-01T12:00:00Z'), now), '2026-07-01 (in 30 days)', '30 days left: not yet soon')
  t.equal(expiryText(info('2026-07-01T11:59:59Z'), now), '2026-07-01 (in 29 days, expires soon)')
  t.equal(expiryText(info('2026-06-02T12:00:00Z'), now), '2026-06-02 (in 1 day, expires soon)')
  t.equal(expiryText(info('2026-06-01T18:00:00Z'), now), '2026-06-01 (today, expires soon)')
  t.equal(expiryText(info('2026-06-01T12:00:00Z'), now), '2026-06-01 (EXPIRED today)', 'notAfter reached')
  t.equal(expiryText(info('2026-05-31T11:00:00Z'), now), '2026-05-31 (EXPIRED 1 day ago)')
  t.equal(expiryText(info('2026-05-01T12:00:00Z'), now), '2026-05-01 (EXPIRED 31 days ago)')
})

t.test('the table: SANs joined, unreadable files and foreign certificates said so', async t => {
  const rows: CertRow[] = [
    { name: 'ca', file: '/pki/ca.crt', readable: true, info: info('2036-01-01T00:00:00Z', { commonName: 'Dokkaa CA', usage: 'ca', isCa: true }), status: 'valid', expiresInDays: 3500 },
    { name: 'etcd-h1', file: '/pki/etcd-h1.crt', readable: true, status: 'expired', expiresInDays: -2, signedByCa: false, chainProblem: 'issued by "CN=other"',
      info: info('2026-05-30T00:00:00Z', { commonName: 'etcd-h1', usage: 'server+client', dnsNames: ['localhost'], ipAddresses: ['10.0.0.2', '127.0.0.1'] }) },
    { name: 'junk', file: '/pki/junk.crt', readable: false, error: 'not a certificate (no start line)' },
  ]
  t.same(certLines(rows, now), [
    'NAME     SUBJECT    USAGE          SANS                          EXPIRES',
    'ca       Dokkaa CA  ca             -                             2036-01-01 (in 3500 days)',
    'etcd-h1  etcd-h1    server+client  localhost,10.0.0.2,127.0.0.1  2026-05-30 (EXPIRED 2 days ago)',
    'junk     -          -              -                             unreadable: not a certificate (no start line)',
    'etcd-h1: not signed by this directory\'s ca.crt: issued by "CN=other"',
  ])
})

t.test('node\'s subjectAltName string, quoted entries included', async t => {
  t.same(parseSubjectAltName('DNS:localhost, IP Address:10.0.0.2, IP Address:0:0:0:0:0:0:0:1'), { dnsNames: ['localhost'], ipAddresses: ['10.0.0.2', '0:0:0:0:0:0:0:1'] })
  t.same(parseSubjectAltName('DNS:"a, b", email:x@y, DNS:c'), { dnsNames: ['a, b', 'c'], ipAddresses: [] })
  t.same(parseSubjectAltName(undefined), { dnsNames: [], ipAddresses: [] })
})
