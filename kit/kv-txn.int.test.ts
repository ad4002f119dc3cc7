// kit/kv.ts's guarded transaction against the real etcd: every write lands at one
// revision while every guard holds, and nothing lands when one does not (the scheduler's
// plan writes and port claims rest on this).
import t from 'tap'
import { Etcd3 } from 'etcd3'
import { startOwnEtcd } from '../test/support/own-etcd.js'
import { etcdKv } from './kv.js'

t.test('a transaction writes all or nothing, by its guards', async t => {
  // A private etcd: "not even a revision spent" reads the store's revision, which any other
  // test file writing to the shared etcd at that moment would move (seen in CI).
  const own = await startOwnEtcd()
  t.teardown(() => own.close())
  const client = new Etcd3({ hosts: [own.url] })
  t.teardown(() => client.close())
  const kv = etcdKv(client)
  const k = (x: string) => `/txn/${x}`
  await kv.put(k('leader'), 'me')
  await kv.put(k('gone'), 'soon')

  const rev = await kv.txn([{ key: k('leader'), exists: true }, { key: k('port'), exists: false }],
    [{ kind: 'put', key: k('port'), value: '20001' }, { kind: 'put', key: k('owner'), value: 'a/web' }, { kind: 'delete', key: k('gone') }])
  t.type(rev, 'number', 'the guards held: committed')
  t.same([(await kv.get(k('port')))?.modRevision, (await kv.get(k('owner')))?.modRevision], [rev, rev], 'every put at the commit\'s revision')
  t.equal(await kv.get(k('gone')), undefined, 'and the delete with them')

  const before = await kv.revision()
  t.equal(await kv.txn([{ key: k('leader'), exists: true }, { key: k('port'), exists: false }], [{ kind: 'put', key: k('other'), value: 'x' }]),
    undefined, 'a key that must be absent exists: refused')
  t.equal(await kv.txn([{ key: k('nobody'), exists: true }], [{ kind: 'put', key: k('other'), value: 'x' }]), undefined, 'a leader key that is gone: refused')
  t.equal(await kv.get(k('other')), undefined, 'nothing written')
  t.equal(await kv.revision(), before, 'not even a revision spent')
})
