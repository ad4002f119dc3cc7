// Issue 12, test 2: least privilege, enforced by etcd itself. A TLS-only etcd of the
// test's own (test/support/tls-etcd.ts) gets the cluster's roles (schemas/etcd-roles.ts,
// applied by kit/etcd-rbac.ts); then each identity's certificate is tried: an ambassador
// writes nothing, a conductor writes its own host record but not another host's, nor any
// assignment, and reads only its own host's assignments; the scheduler writes assignments
// but no user; the builder users but no assignment. Every denial is etcd's own
// (EtcdPermissionDeniedError); an unknown certificate name gets nothing.
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { EtcdPermissionDeniedError, type Etcd3 } from 'etcd3'
import { freeDnsPort, freePortBlock } from '../ambassador/testing/fixtures.js'
import { ADMIN_USER, ambassadorUser, BUILDER_USER, clusterIdentities, conductorUser, KeyLayout, LABELS, SCHEDULER_USER } from '../schemas/index.js'
import { tempClusterKeyFile } from '../test/support/cluster-key.js'
import { removeContainersByLabel } from '../test/support/docker.js'
import { TEST_IMAGE } from '../test/support/images.js'
import { startTsProcess } from '../test/support/processes.js'
import { waitFor } from '../test/support/wait-for.js'
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

  // Host h2 leaves the plan: its identities go at once, though its certificates stay valid.
  const conductor2 = await as(conductorUser('h2'))
  await allowed('before: h2\'s conductor writes its host record', () => conductor2.put(keys.host('h2')).value('{}').exec())
  await applyEtcdRoles(admin, clusterIdentities(keys, ['h1']), ADMIN_USER)
  const refusal = await conductor2.put(keys.host('h2')).value('{}').exec().then(() => undefined, (e: Error) => e)
  t.ok(refusal, `after h2 left the plan, its conductor's certificate writes nothing (${refusal?.message ?? 'it was allowed'})`)
  const users = (await admin.getUsers()).map(u => u.name)
  t.notOk(users.includes(conductorUser('h2')) || users.includes(ambassadorUser('h2')), 'its users are gone from etcd')
  t.ok(users.includes(conductorUser('h1')) && users.includes(SCHEDULER_USER) && users.includes(BUILDER_USER), 'the others stay')
  await allowed('h1\'s conductor still writes its host record', () => conductor.put(keys.host('h1')).value('{}').exec())
})

t.test('the parts run under their roles: a conductor with its own and the scheduler\'s certificate, an ambassador, a builder', async t => {
  const etcd = await startTlsEtcd(t)
  const hostId = `rbac-${randomBytes(3).toString('hex')}`
  const prefix = `/rbac-${hostId}`
  const k = new KeyLayout(prefix)
  const cert = (cn: string) => issueTestCert(etcd.ca, cn, { use: 'client' })
  const admin = await clientWith(t, [etcd.url], await cert(ADMIN_USER), etcd.ca)
  await applyEtcdRoles(admin, clusterIdentities(k, [hostId]), ADMIN_USER)
  const flags = (c: { cert: string; key: string }) => ['--etcd', etcd.url, '--etcd-ca', etcd.ca.cert, '--etcd-cert', c.cert, '--etcd-key', c.key, '--prefix', prefix]

  t.teardown(() => removeContainersByLabel(LABELS.host, hostId))
  const secretsDir = await mkdtemp(join(tmpdir(), 'dokkaa-rbac-secrets-'))
  t.teardown(() => rm(secretsDir, { recursive: true, force: true }))
  const scheduler = await cert(SCHEDULER_USER)
  const conductor = startTsProcess('conductor/main.ts', [
    ...flags(await cert(conductorUser(hostId))), '--scheduler-etcd-cert', scheduler.cert, '--scheduler-etcd-key', scheduler.key,
    '--host-id', hostId, '--host-address', '127.0.0.1', '--ambassador-address', 'none', '--agent-listen', 'none',
    '--cluster-key-file', tempClusterKeyFile(t), '--secrets-dir', secretsDir, '--resync', '2',
  ], {}, { t, name: 'conductor' })
  await admin.put(k.manifest({ app: 'shop', name: 'web' })).value(JSON.stringify({ image: TEST_IMAGE, command: 'exec sleep 600' })).exec()
  const record = await waitFor(async () => {
    const v = await admin.get(k.instance({ app: 'shop', name: 'web', index: 0 })).string()
    const r = v ? JSON.parse(v) as { state: string; host: string } : undefined
    return r?.state === 'running' && r
  }, { timeoutMs: 60_000, what: 'the instance running' }).catch(err => { t.comment(conductor.output()); throw err })
  t.equal(record.host, hostId, 'the scheduler (as itself) placed it, the conductor (as itself) ran and recorded it')
  const status = await waitFor(async () => {
    const v = await admin.get(k.status({ app: 'shop', name: 'web' })).string()
    const s = v ? JSON.parse(v) as { phase: string } : undefined
    return s?.phase === 'Running' && s
  }, { timeoutMs: 30_000, what: 'the status Running' })
  t.equal(status.phase, 'Running', 'the scheduler wrote the status')
  t.notMatch(conductor.output(), /permission denied/i, 'no call of either was refused')

  const range = await freePortBlock()
  const ambassador = startTsProcess('ambassador/main.ts', [
    ...flags(await cert(ambassadorUser(hostId))), '--dns-listen', `127.0.0.1:${await freeDnsPort()}`, '--proxy-listen', '127.0.0.1',
    '--port-range', `${range.from}-${range.to}`, '--upstream', 'none', '--web-listen', 'none',
  ], {}, { t, name: 'ambassador' })
  await ambassador.waitForLine('ambassador ready', { timeoutMs: 30_000 })
  t.notMatch(ambassador.output(), /permission denied/i, 'the ambassador reads all it needs')

  const dir = await mkdtemp(join(tmpdir(), 'dokkaa-rbac-builder-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const builder = startTsProcess('builder/main.ts', [
    ...flags(await cert(BUILDER_USER)), '--listen', '127.0.0.1:0', '--data-dir', dir, '--cluster-key-file', tempClusterKeyFile(t), '--log-level', 'warn',
  ], {}, { t, name: 'builder' })
  const line = await builder.waitForLine(/console at http/, { timeoutMs: 60_000 })
  const url = /console at (http:\/\/[^/]+)\/console\//.exec(line)![1]!
  const password = (await readFile(join(dir, 'generated_password.txt'), 'utf8')).trim()
  const auth = { authorization: `Basic ${Buffer.from(`root:${password}`).toString('base64')}` }
  // Its copy of the apps fills in just after it starts listening.
  let last = ''
  const hosts = await waitFor(async () => {
    const res = await fetch(`${url}/api/v1/hosts`, { headers: auth })
    last = `${res.status} ${await res.clone().text()}`
    return res.status === 200 && await res.json() as unknown[]
  }, { timeoutMs: 30_000, what: 'the builder answering /api/v1/hosts' }).catch(err => { t.comment(last, builder.output()); throw err })
  t.match(hosts, [{ id: hostId, load: 1 }], 'the builder reads the hosts and their assignments')
  t.notMatch(builder.output(), /permission denied/i)
})
