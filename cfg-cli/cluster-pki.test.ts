import t from 'tap'
import { staleReason } from './cluster-pki.js'
import type { CertInfo } from './cert-info.js'
import type { CertRequest } from './pki-request.js'

const now = new Date('2026-11-29T00:00:00Z')
const request: CertRequest = { name: 'conductor-h1', commonName: 'conductor-h1', usage: 'server+client', days: 825, dnsNames: [], ipAddresses: ['10.0.0.2'] }
const info = (o: Partial<CertInfo> = {}): CertInfo => ({
  file: '/p/conductor-h1.crt', commonName: 'conductor-h1', subject: 'CN=conductor-h1', issuer: 'CN=ca', notBefore: '2026-11-01T00:00:00.000Z',
  notAfter: '2028-11-01T00:00:00.000Z', dnsNames: [], ipAddresses: ['10.0.0.2'], serial: '01', fingerprint: 'AA', isCa: false,
  extKeyUsage: [], usage: 'server+client', ...o,
})

t.test('a certificate that still serves its request is kept', async t => {
  t.equal(staleReason(info(), request, now), undefined)
  t.equal(staleReason(info({ ipAddresses: ['10.0.0.2'] }), { ...request, days: 30 }, now), undefined, 'validity alone is no reason')
})

t.test('each reason to issue again is named', async t => {
  t.match(staleReason(info({ commonName: 'conductor-h2' }), request, now), /its CN is conductor-h2, the plan says conductor-h1/)
  t.match(staleReason(info({ ipAddresses: ['10.0.0.9'] }), request, now), /names \(SANs\)/, 'the host moved to another address')
  t.match(staleReason(info({ dnsNames: ['h1'] }), request, now), /names \(SANs\)/)
  t.match(staleReason(info({ usage: 'client' }), request, now), /its usage is client, the plan says server\+client/)
  t.match(staleReason(info({ notAfter: '2026-12-20T00:00:00.000Z' }), request, now), /expires within 30 days/)
  t.match(staleReason(info({ notAfter: '2026-11-01T00:00:00.000Z' }), request, now), /expires within 30 days/, 'expired already')
})
