// loadPrefix against the real etcd: 6 MiB of values under one prefix is more than one
// gRPC message may carry (a plain range fails), yet the paged load returns every key,
// in order, at one revision.
import t from 'tap'
import { testEtcd } from '../test/support/etcd.js'
import { createEtcdClient } from './etcd-client.js'
import { isTooLarge, loadPrefix } from './paged-load.js'

t.test('a prefix larger than one gRPC message loads in pages', async t => {
  const etcd = testEtcd(t)
  const root = `${etcd.prefix}/big/`
  const value = 'x'.repeat(300 * 1024)
  const keys = Array.from({ length: 20 }, (_, i) => `${root}${String(i).padStart(2, '0')}`)
  for (const k of keys) await etcd.client.put(k).value(value)
  await etcd.client.put(`${etcd.prefix}/bigger`).value('outside the prefix')

  // The client every Dokkaa process makes (kit/etcd-client.ts).
  const client = createEtcdClient({ hosts: etcd.hosts })
  t.teardown(() => client.close())
  const plain = await client.getAll().prefix(root).exec().then(() => undefined, (err: unknown) => err)
  t.ok(isTooLarge(plain), 'a single range over the prefix is refused as too large', { err: String(plain) })

  const snap = await loadPrefix(client, root, { pageSize: 50 })
  t.same(snap.kvs.map(kv => kv.key.toString()), keys, 'every key, in key order, nothing outside the prefix')
  t.ok(snap.kvs.every(kv => kv.value.length === value.length), 'whole values')
  t.ok(snap.revision > 0)
  t.equal(await client.get(keys[0]!).string().then(v => v?.length), value.length, 'the client still answers after the too-large read (no open circuit breaker)')
})

t.test('pages are pinned to the first page\'s revision', async t => {
  const etcd = testEtcd(t)
  const root = `${etcd.prefix}/p/`
  for (let i = 0; i < 10; i++) await etcd.client.put(`${root}${i}`).value(String(i))
  const snap = await loadPrefix(etcd.client, root, { pageSize: 3 })
  t.equal(snap.kvs.length, 10)
  const atRev = await etcd.client.getAll().prefix(root).revision(snap.revision).keys()
  t.equal(atRev.length, 10)
  await etcd.client.put(`${root}99`).value('later')
  const again = await loadPrefix(etcd.client, root, { pageSize: 3 })
  t.equal(again.kvs.length, 11, 'a later load sees the later key')
  t.ok(again.revision > snap.revision)
})

t.test('an empty prefix is an empty snapshot', async t => {
  const etcd = testEtcd(t)
  const snap = await loadPrefix(etcd.client, `${etcd.prefix}/none/`)
  t.same(snap.kvs, [])
})
