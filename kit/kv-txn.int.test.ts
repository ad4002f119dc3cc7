// kit/kv.ts's guarded transaction against the real etcd: every write lands at one
// revision while every guard holds, and nothing lands when one does not (the scheduler's
// plan writes and port claims rest on this).
import t from 'tap'
import { testEtcd } from '../test/support/etcd.js'
import { etcdKv } from './kv.js'

t.test('a transaction writes all or nothing, by its guards', async t => {
  const etcd = testEtcd(t)
  const kv = etcdKv(etcd.client)
  const k = (x: string) => `${etcd.prefix}/${x}`
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
