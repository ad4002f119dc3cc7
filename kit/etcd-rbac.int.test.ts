// Issue 12, test 2: least privilege, enforced by etcd itself. A TLS-only etcd of the
// test's own (test/support/tls-etcd.ts) gets the cluster's roles (schemas/etcd-roles.ts,
// applied by kit/etcd-rbac.ts); then each identity's certificate is tried: an ambassador
// writes nothing, a conductor writes its own host record but not another host's, nor any
// assignment, and reads only its own host's assignments; the scheduler writes assignments
// but no user; the builder users but no assignment. Every denial is etcd's own
// (EtcdPermissionDeniedError); an unknown certificate name gets nothing.
import t from 'tap'
import { EtcdPermissionDeniedError, type Etcd3 } from 'etcd3'
import { ADMIN_USER, ambassadorUser, BUILDER_USER, clusterIdentities, conductorUser, KeyLayout, SCHEDULER_USER } from '../schemas/index.js'
import { issueTestCert } from '../test/support/test-pki.js'
import { clientWith, startTlsEtcd } from '../test/support/tls-etcd.js'
import { applyEtcdRoles } from './etcd-rbac.js'

const keys = new KeyLayout('/rbac')
const ref = (host: string) => keys.assignment(host, { app: 'shop', name: 'web', index: 0 })

t.test('each identity may do what its job needs, and etcd refuses the rest', async t => {
  const etcd = await startTlsEtcd(t)
  const as = async (cn: string): Promise<Etcd3> => clientWith(t, [etcd.url], await issueTestCert(etcd.ca, cn, { use: 'client' }), etcd.ca)
  const admin = await as(ADMIN_USER)
  await applyEtcdRoles(admin, clusterIdentities(keys, ['h1', 'h2']), ADMIN_USER)
  await admin.put(ref('h1')).value('{}')
  await admin.put(ref('h2')).value('{}')

  const allowed = async (what: string, op: () => Promise<unknown>) => t.resolves(op(), what)
  const denied = async (what: string, op: () => Promise<unknown>) => {
    const err = await op().then(() => undefined, (e: unknown) => e)
    t.ok(err instanceof EtcdPermissionDeniedError, `${what}: refused by etcd (${err === undefined ? 'it was allowed' : (err as Error).message})`)
  }

  const ambassador = await as(ambassadorUser('h1'))
  await allowed('ambassador reads DNS records', () => ambassador.getAll().prefix(keys.skydnsRoot).keys())
  await denied('ambassador writes a DNS record', () => ambassador.put(`${keys.skydnsRoot}shop/web/web-0`).value('{}').exec())
  await denied('ambassador writes a host record', () => ambassador.put(keys.host('h1')).value('{}').exec())
  await denied('ambassador writes a manifest', () => ambassador.put(keys.manifest({ app: 'shop', name: 'web' })).value('{}').exec())

  const conductor = await as(conductorUser('h1'))
  await allowed('conductor writes its own host record', () => conductor.put(keys.host('h1')).value('{}').exec())
  await denied('conductor writes another host\'s record', () => conductor.put(keys.host('h2')).value('{}').exec())
  await allowed('conductor reads its own assignments', () => conductor.get(ref('h1')).string())
  await denied('conductor reads another host\'s assignments', () => conductor.get(ref('h2')).string())
  await denied('conductor writes an assignment of its own host', () => conductor.put(ref('h1')).value('{"spec":{}}').exec())
  await denied('conductor writes an assignment of another host', () => conductor.put(ref('h2')).value('{"spec":{}}').exec())
  await denied('conductor deletes another host\'s assignment', () => conductor.delete().key(ref('h2')).exec())
  await allowed('conductor writes an instance record', () => conductor.put(keys.instance({ app: 'shop', name: 'web', index: 0 })).value('{}').exec())
  await denied('conductor writes a manifest', () => conductor.put(keys.manifest({ app: 'shop', name: 'web' })).value('{}').exec())
  await denied('conductor writes a user', () => conductor.put(`${keys.users}eve`).value('{}').exec())

  const scheduler = await as(SCHEDULER_USER)
  await allowed('scheduler writes any host\'s assignment', () => scheduler.put(ref('h2')).value('{}').exec())
  await denied('scheduler writes a user', () => scheduler.put(`${keys.users}eve`).value('{}').exec())
  await denied('scheduler writes a host record', () => scheduler.put(keys.host('h1')).value('{}').exec())

  const builder = await as(BUILDER_USER)
  await allowed('builder writes a manifest', () => builder.put(keys.manifest({ app: 'shop', name: 'web' })).value('{}').exec())
  await allowed('builder writes a user', () => builder.put(`${keys.users}alice`).value('{}').exec())
  await denied('builder writes an assignment', () => builder.put(ref('h1')).value('{}').exec())
  await denied('builder writes a host record', () => builder.put(keys.host('h1')).value('{}').exec())

  const stranger = await as('someone-else')
  await denied('a certificate of the CA with an unknown name reads', () => stranger.get(ref('h1')).string())
  await allowed('the admin does anything', () => admin.put('/anywhere').value('x').exec())

  // Applied again with a grant taken away: it is revoked, not left behind.
  const fewer = clusterIdentities(keys, ['h1', 'h2']).map(id => (id.user === conductorUser('h1')
    ? { ...id, grants: id.grants.filter(g => !('prefix' in g && g.prefix === keys.instances)) } : id))
  await applyEtcdRoles(admin, fewer, ADMIN_USER)
  await denied('after re-applying without it, conductor writes an instance record', () => conductor.put(keys.instance({ app: 'shop', name: 'web', index: 1 })).value('{}').exec())
  await allowed('and keeps the rest', () => conductor.put(keys.host('h1')).value('{}').exec())
})
