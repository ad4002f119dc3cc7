// The watched copy of a prefix against the real etcd: loaded on first use, a writer's own
// write is in it when caughtUp resolves, others' writes arrive, and a canceled watch reloads.
import t from 'tap'
import { testEtcd } from '../../test/support/etcd.js'
import { waitFor } from '../../test/support/wait-for.js'
import { etcdKv, type Entry, type Kv, type WatchHandlers } from './kv.js'
import { PrefixMirror } from './prefix-mirror.js'

function mapSink() {
  const map = new Map<string, string>()
  return {
    map,
    reset(entries: Entry[]) { map.clear(); for (const e of entries) map.set(e.key, e.value) },
    apply(e: { type: string; key: string; value?: string }) { if (e.type === 'put') map.set(e.key, e.value!); else map.delete(e.key) },
  }
}

t.test('loads on first use, then follows; caughtUp covers a write', async t => {
  const etcd = testEtcd(t)
  const kv = etcdKv(etcd.client)
  const prefix = `${etcd.prefix}/m/`
  await kv.put(`${prefix}a`, '1')
  await kv.put(`${etcd.prefix}/other`, 'x')
  const sink = mapSink()
  const mirror = new PrefixMirror(kv, prefix, sink)
  t.teardown(() => mirror.stop())
  await mirror.ready()
  t.same([...sink.map], [[`${prefix}a`, '1']], 'only the prefix')
  for (let i = 0; i < 20; i++) {
    const { entry } = await kv.put(`${prefix}k${i}`, String(i))
    await mirror.caughtUp(entry.modRevision)
    t.equal(sink.map.get(`${prefix}k${i}`), String(i), `write ${i} is in the copy`)
  }
  const del = await kv.delete(`${prefix}a`)
  await mirror.caughtUp(del.revision)
  t.notOk(sink.map.has(`${prefix}a`))
  await kv.put(`${prefix}late`, 'y')
  await waitFor(() => sink.map.get(`${prefix}late`) === 'y', { what: 'a write made past the mirror' })
})

t.test('a watch canceled by etcd is replaced by a fresh read', async t => {
  const etcd = testEtcd(t)
  const real = etcdKv(etcd.client)
  const prefix = `${etcd.prefix}/m/`
  // The real etcd, with a handle on the watch's handlers to play etcd's cancel (compaction).
  const watches: WatchHandlers[] = []
  const kv: Kv = { ...real, watchFrom: (p, rev, h) => { watches.push(h); return real.watchFrom(p, rev, h) } }
  const sink = mapSink()
  const mirror = new PrefixMirror(kv, prefix, sink)
  t.teardown(() => mirror.stop())
  await mirror.ready()
  watches[0]!.onCanceled(new Error('mvcc: required revision has been compacted'))
  const { entry } = await real.put(`${prefix}after`, '2')
  await mirror.caughtUp(entry.modRevision)
  t.equal(sink.map.get(`${prefix}after`), '2')
  t.equal(watches.length, 2, 'one new watch')
})

t.test('etcd unreachable: ready rejects, and the next read tries again', async t => {
  const { Etcd3 } = await import('etcd3')
  const client = new Etcd3({ hosts: 'http://127.0.0.1:1', dialTimeout: 300 })
  t.teardown(() => client.close())
  const mirror = new PrefixMirror(etcdKv(client), '/t-nowhere/m/', mapSink())
  await t.rejects(mirror.ready())
  await t.rejects(mirror.ready())
  await mirror.stop()
})
