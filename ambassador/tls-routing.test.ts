import t from 'tap'
import { certName, pickCertificate, plainHttpAction } from './tls-routing.js'

t.test('certName: lowercase, without port or final dot', async t => {
  t.equal(certName('Shop.Dokkaa.Local'), 'shop.dokkaa.local')
  t.equal(certName('shop.dokkaa.local:8443'), 'shop.dokkaa.local')
  t.equal(certName('shop.dokkaa.local.'), 'shop.dokkaa.local')
  t.equal(certName('[::1]:8443'), '[::1]')
})

t.test('SNI: a file certificate wins over etcd; none is a failed handshake', async t => {
  const files = new Set(['shop.dokkaa.local', 'own.example.com'])
  const etcd = new Set(['shop.dokkaa.local', 'www.shop.dokkaa.local'])
  t.equal(pickCertificate('shop.dokkaa.local', files, etcd), 'file')
  t.equal(pickCertificate('WWW.shop.dokkaa.local', files, etcd), 'etcd')
  t.equal(pickCertificate('own.example.com', files, etcd), 'file')
  t.equal(pickCertificate('other.dokkaa.local', files, etcd), undefined)
})

t.test('plain HTTP: challenges for any host, redirects for names with a certificate', async t => {
  const has = (n: string) => n === 'shop.dokkaa.local'
  t.same(plainHttpAction('anything.example', '/.well-known/acme-challenge/abc_DEF-1?x=1', has, 8443), { kind: 'challenge', token: 'abc_DEF-1' })
  t.same(plainHttpAction('shop.dokkaa.local', '/.well-known/acme-challenge/tok', has, undefined), { kind: 'challenge', token: 'tok' }, 'answered even without an HTTPS listener')
  t.same(plainHttpAction('Shop.dokkaa.local:80', '/a?b=1', has, 8443), { kind: 'redirect', location: 'https://shop.dokkaa.local:8443/a?b=1' })
  t.same(plainHttpAction('shop.dokkaa.local', '/', has, 443), { kind: 'redirect', location: 'https://shop.dokkaa.local/' }, 'port 443 is left out')
  t.same(plainHttpAction('plain.dokkaa.local', '/', has, 443), { kind: 'route' }, 'no certificate: plain HTTP as before')
  t.same(plainHttpAction('shop.dokkaa.local', '/', has, undefined), { kind: 'route' }, 'no HTTPS listener here: nothing to redirect to')
  t.same(plainHttpAction(undefined, '/', has, 443), { kind: 'route' })
})
