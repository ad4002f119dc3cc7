import t from 'tap'
import { KeyLayout } from './keys.js'
import { ambassadorGrants, builderGrants, clusterIdentities, conductorGrants } from './etcd-roles.js'

const k = new KeyLayout('/p')

t.test('one identity per conductor and ambassador of each host, plus the scheduler and the builder', async t => {
  t.same(clusterIdentities(k, ['h1', 'h2']).map(i => i.user), ['conductor-h1', 'ambassador-h1', 'conductor-h2', 'ambassador-h2', 'scheduler', 'builder'])
  t.throws(() => clusterIdentities(k, ['../x']), /host id "\.\.\/x" is not one a conductor registers/)
})

t.test('a conductor: its own host record and assignments only; no assignment write at all', async t => {
  const g = conductorGrants(k, 'h1')
  t.match(g, [{ permission: 'Readwrite', key: '/p/hosts/h1' }, { permission: 'Read', prefix: '/p/assign/h1/' }])
  t.notOk(g.some(x => 'prefix' in x && x.prefix === '/p/hosts/'), 'never the whole hosts range')
  t.notOk(g.some(x => x.permission !== 'Read' && 'prefix' in x && x.prefix.startsWith('/p/assign/')), 'never writes assignments')
  t.notOk(g.some(x => 'prefix' in x && x.prefix.startsWith('/p/assign/h1') && x.prefix !== '/p/assign/h1/'), 'the trailing "/" keeps h1 from matching h10')
})

t.test('an ambassador only reads', async t => {
  const ambassador = clusterIdentities(k, ['h1']).find(i => i.user === 'ambassador-h1')!
  t.ok(ambassador.grants.every(g => g.permission === 'Read'))
})

t.test('TLS for web services: ambassadors read certificates and challenges only; the builder writes /tls/', async t => {
  t.match(ambassadorGrants(k), [{}, {}, {}, {}, {}, { permission: 'Read', prefix: '/p/tls/certs/' }, { permission: 'Read', prefix: '/p/tls/challenges/' }])
  t.notOk(ambassadorGrants(k).some(g => 'prefix' in g && g.prefix === '/p/tls/'), 'not the whole /tls/ range: the ACME account key is there')
  t.ok(builderGrants(k).some(g => g.permission === 'Readwrite' && 'prefix' in g && g.prefix === '/p/tls/'), 'the builder orders and stores certificates')
  t.ok(builderGrants(k).some(g => g.permission === 'Read' && 'prefix' in g && g.prefix === '/p/config/acme'), 'and reads the ACME settings')
  t.notOk(builderGrants(k).some(g => g.permission !== 'Read' && 'prefix' in g && g.prefix === '/p/config/acme'), 'which only the operator writes')
})
