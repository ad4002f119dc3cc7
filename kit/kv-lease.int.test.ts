// kit/kv.ts's leases against the real etcd: a granted lease and the writes under it (plain,
// only-if-absent, only-if-still-under-a-lease), deleteIf, revoke and release, a loss heard
// once (etcd revoked it behind our back), and a grant etcd cannot answer.
import t from 'tap'
import { Etcd3 } from 'etcd3'
import { testEtcd } from '../test/support/etcd.js'
import { waitFor } from '../test/support/wait-for.js'
import { describeEtcdError } from './etcd-errors.js'
import { etcdKv } from './kv.js'

const leaseOf = async (client: Etcd3, key: string) => (await client.get(key).exec()).kvs[0]?.lease

t.test('writes under a lease: plain, only if absent, only while under a given lease', async t => {
  const etcd = testEtcd(t)
  const kv = etcdKv(etcd.client)
  const lost: Error[] = []
  const lease = await kv.grantLease(5, err => lost.push(err))
  t.teardown(() => lease.revoke())
  t.match(lease.id, /^[1-9]\d*$/)
  const k = (x: string) => `${etcd.prefix}/${x}`
  t.equal(await lease.put(k('a'), '1'), true)
  t.equal(await leaseOf(etcd.client, k('a')), lease.id, 'the key is under the lease')
  t.equal(await lease.put(k('a'), '2', 'absent'), false, 'not absent')
  t.equal((await kv.get(k('a')))?.value, '1')
  t.equal(await lease.put(k('b'), '1', 'absent'), true)
  t.equal(await leaseOf(etcd.client, k('b')), lease.id)
  await kv.put(k('c'), 'no lease')
  t.equal(await lease.put(k('c'), '2', { lease: lease.id }), false, 'not under our lease')
  t.equal(await lease.put(k('a'), '3', { lease: lease.id }), true, 'under our lease')
  t.equal((await kv.get(k('a')))?.value, '3')
  t.same(lost, [])
})

t.test('deleteIf deletes only the value it was given', async t => {
  const etcd = testEtcd(t)
  const kv = etcdKv(etcd.client)
  const key = `${etcd.prefix}/d`
  t.equal(await kv.deleteIf(key, 'x'), 'absent')
  await kv.put(key, 'theirs')
  t.equal(await kv.deleteIf(key, 'ours'), 'changed')
  t.equal((await kv.get(key))?.value, 'theirs', 'left alone')
  t.equal(await kv.deleteIf(key, 'theirs'), 'deleted')
  t.equal(await kv.get(key), undefined)
})

t.test('revoke deletes the keys at once; release leaves them to the TTL; neither is a loss', async t => {
  const etcd = testEtcd(t)
  const kv = etcdKv(etcd.client)
  const lost: Error[] = []
  const revoked = await kv.grantLease(30, err => lost.push(err))
  await revoked.put(`${etcd.prefix}/r`, '1')
  await revoked.revoke()
  t.equal(await kv.get(`${etcd.prefix}/r`), undefined, 'revoked: gone')
  const released = await kv.grantLease(1, err => lost.push(err))
  await released.put(`${etcd.prefix}/l`, '1')
  released.release()
  t.ok(await kv.get(`${etcd.prefix}/l`), 'released: still there')
  await waitFor(async () => (await kv.get(`${etcd.prefix}/l`)) === undefined, { timeoutMs: 10_000, what: 'the TTL to run out' })
  t.same(lost, [])
})

t.test('a lease etcd no longer knows is lost once: a write under it rejects, the keep-alive tells', async t => {
  const etcd = testEtcd(t)
  const kv = etcdKv(etcd.client)
  const lost: Error[] = []
  const lease = await kv.grantLease(3, err => lost.push(err))
  t.teardown(() => lease.release())
  await etcd.client.leaseClient.leaseRevoke({ ID: lease.id })
  const err = await lease.put(`${etcd.prefix}/x`, '1').then(() => undefined, (e: unknown) => e)
  t.equal(describeEtcdError(err).kind, 'lease-lost', 'kit/etcd-errors says what it was')
  t.equal(lost.length, 1, 'the loss is reported')
  await new Promise(r => setTimeout(r, 1500))
  t.equal(lost.length, 1, 'once')

  const other = await kv.grantLease(1, err => lost.push(err))
  t.teardown(() => other.release())
  await etcd.client.leaseClient.leaseRevoke({ ID: other.id })
  await waitFor(() => lost.length === 2, { timeoutMs: 10_000, what: 'the keep-alive to notice' })
  t.equal(describeEtcdError(lost[1]).kind, 'lease-lost')
})

t.test('a grant etcd does not answer rejects, and is no loss', async t => {
  const client = new Etcd3({ hosts: 'http://127.0.0.1:1', dialTimeout: 300 })
  t.teardown(() => client.close())
  const lost: Error[] = []
  await t.rejects(etcdKv(client).grantLease(2, err => lost.push(err)))
  t.same(lost, [])
})
