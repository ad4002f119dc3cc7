// The mirror against the real etcd: loaded on first use, a writer's own write is in it when
// caughtUp resolves, others' writes arrive, a key range holds only its keys, a watch etcd
// cancels (its start revision compacted away, on a private etcd) is replaced by a fresh read,
// a failing fresh read is retried, and an unreachable etcd fails ready() until it answers.
import t from 'tap'
import { Etcd3 } from 'etcd3'
import { testEtcd } from '../test/support/etcd.js'
import { startOwnEtcd } from '../test/support/own-etcd.js'
import { waitFor } from '../test/support/wait-for.js'
import { etcdKv, prefixEnd, type Entry, type Kv, type WatchEvent, type WatchHandlers } from './kv.js'
import { Mirror, MirrorUnavailableError, type MirrorSink } from './mirror.js'

function mapSink() {
  const map = new Map<string, string>()
  const resets: number[] = []
  const batches: { keys: string[]; revision: number }[] = []
  const sink: MirrorSink = {
    reset(entries: Entry[], revision: number) {
      resets.push(revision)
      map.clear()
      for (const e of entries) map.set(e.key, e.value)
    },
    apply(events: WatchEvent[], revision: number) {
      batches.push({ keys: events.map(e => e.key), revision })
      for (const e of events) {
        if (e.type === 'put') map.set(e.key, e.value!)
        else map.delete(e.key)
      }
    },
  }
  return { map, resets, batches, sink }
}

t.test('loads on first use, then follows; caughtUp covers a write', async t => {
  const etcd = testEtcd(t)
  const kv = etcdKv(etcd.client)
  const prefix = `${etcd.prefix}/m/`
  await kv.put(`${prefix}a`, '1')
  await kv.put(`${etcd.prefix}/other`, 'x')
  const { map, resets, batches, sink } = mapSink()
  const mirror = new Mirror(kv, prefix, sink)
  t.teardown(() => mirror.stop())
  t.equal(resets.length, 0, 'nothing is read before the first ready()')
  await Promise.all([mirror.ready(), mirror.ready()])
  t.equal(resets.length, 1, 'two callers, one read')
  t.same([...map], [[`${prefix}a`, '1']], 'only the prefix')
  t.equal(mirror.revision, resets[0], 'current to the read')
  for (let i = 0; i < 20; i++) {
    const { entry } = await kv.put(`${prefix}k${i}`, String(i))
    await mirror.caughtUp(entry.modRevision)
    t.equal(map.get(`${prefix}k${i}`), String(i), `write ${i} is in the copy`)
  }
  const del = await kv.delete(`${prefix}a`)
  await mirror.caughtUp(del.revision)
  t.notOk(map.has(`${prefix}a`))
  t.equal(batches.at(-1)!.revision, del.revision, 'a batch carries its last event\'s revision')
  await kv.put(`${prefix}late`, 'y')
  await waitFor(() => map.get(`${prefix}late`) === 'y', { what: 'a write made past the mirror' })
  t.equal(resets.length, 1, 'no second read')
})

t.test('a key range holds the keys in [start, end) and nothing else', async t => {
  const etcd = testEtcd(t)
  const kv = etcdKv(etcd.client)
  const [a, b, c] = ['a', 'b', 'c'].map(x => `${etcd.prefix}/${x}/`) as [string, string, string]
  for (const p of [a, b, c]) await kv.put(`${p}1`, p)
  const { map, sink } = mapSink()
  const mirror = new Mirror(kv, { start: a, end: prefixEnd(b) }, sink)
  t.teardown(() => mirror.stop())
  await mirror.ready()
  t.same([...map.keys()], [`${a}1`, `${b}1`])
  await kv.put(`${c}2`, 'outside')
  const { entry } = await kv.put(`${b}2`, 'inside')
  await mirror.caughtUp(entry.modRevision)
  t.same([...map.keys()].sort(), [`${a}1`, `${b}1`, `${b}2`], 'the watch covers the same range')
})

t.test('a watch etcd cancels (start revision compacted) is replaced by a fresh read', async t => {
  // Compaction is cluster-wide: only on a private etcd, never the shared one.
  const own = await startOwnEtcd()
  t.teardown(() => own.close())
  const client = new Etcd3({ hosts: [own.url] })
  t.teardown(() => client.close())
  const real = etcdKv(client)
  const prefix = '/m/'
  await real.put(`${prefix}a`, '1')
  // After the first read, two writes and a compaction past the revision the watch will start
  // at: etcd accepts the watch, then cancels it because the history it needs is gone.
  let reads = 0
  const kv: Kv = {
    ...real,
    async snapshot(range) {
      const snap = await real.snapshot(range)
      if (++reads === 1) {
        await real.put(`${prefix}b`, '2')
        const { entry } = await real.put(`${prefix}c`, '3')
        await client.kv.compact({ revision: String(entry.modRevision), physical: true })
      }
      return snap
    },
  }
  const canceled: string[] = []
  const { map, resets, sink } = mapSink()
  const mirror = new Mirror(kv, prefix, sink, { onCanceled: err => canceled.push(err.message) })
  await mirror.ready()
  await waitFor(() => resets.length === 2, { what: 'the fresh read after the cancel' })
  t.equal(canceled.length, 1, 'the cancel is reported')
  t.same([...map].sort(), [[`${prefix}a`, '1'], [`${prefix}b`, '2'], [`${prefix}c`, '3']], 'the writes the canceled watch missed')
  const { entry } = await real.put(`${prefix}d`, '4')
  await mirror.caughtUp(entry.modRevision)
  t.equal(map.get(`${prefix}d`), '4', 'the new watch follows')
  // The canceled watch is not canceled again: etcd would never answer that.
  const stopped = await Promise.race([mirror.stop().then(() => 'stopped'), new Promise(r => setTimeout(() => r('hung'), 5000))])
  t.equal(stopped, 'stopped')
})

t.test('a fresh read that fails is retried with backoff; ready() meanwhile answers from the copy', async t => {
  const etcd = testEtcd(t)
  const real = etcdKv(etcd.client)
  const prefix = `${etcd.prefix}/m/`
  await real.put(`${prefix}a`, '1')
  const watches: WatchHandlers[] = []
  let failures = 0
  const kv: Kv = {
    ...real,
    // The second and third reads fail, as when etcd is away.
    snapshot: async range => {
      if (watches.length === 1 && failures < 2) { failures++; throw new Error('etcd is away') }
      return real.snapshot(range)
    },
    // A handle on the watch's handlers, to play etcd's cancel.
    watchFrom: (range, rev, h) => { watches.push(h); return real.watchFrom(range, rev, h) },
  }
  const errors: string[] = []
  const { map, resets, sink } = mapSink()
  const mirror = new Mirror(kv, prefix, sink, { onResyncError: err => errors.push(err.message), backoff: { baseMs: 50, maxMs: 100 } })
  t.teardown(() => mirror.stop())
  await mirror.ready()
  watches[0]!.onCanceled(new Error('mvcc: required revision has been compacted'))
  await mirror.ready()
  t.equal(map.get(`${prefix}a`), '1', 'while etcd is away, the copy as last seen')
  await waitFor(() => watches.length === 2, { what: 'a new watch after two failed reads' })
  t.same(errors, ['etcd is away', 'etcd is away'])
  t.equal(resets.length, 2)
  const { entry } = await real.put(`${prefix}after`, '2')
  await mirror.caughtUp(entry.modRevision)
  t.equal(map.get(`${prefix}after`), '2')
  watches[0]!.onCanceled(new Error('late'))
  t.equal(watches.length, 2, 'a cancel from a replaced watch is ignored')
})

t.test('etcd unreachable: ready rejects, and the next ready tries again', async t => {
  const client = new Etcd3({ hosts: 'http://127.0.0.1:1', dialTimeout: 300 })
  t.teardown(() => client.close())
  const mirror = new Mirror(etcdKv(client), '/t-nowhere/m/', mapSink().sink)
  await t.rejects(mirror.ready())
  await t.rejects(mirror.ready())
  await mirror.stop()
  await t.rejects(mirror.ready(), MirrorUnavailableError, 'stopped')
})

t.test('caughtUp gives up after catchUpMs, and stop() ends every wait', async t => {
  const etcd = testEtcd(t)
  const kv = etcdKv(etcd.client)
  const mirror = new Mirror(kv, `${etcd.prefix}/m/`, mapSink().sink, { catchUpMs: 200 })
  await mirror.ready()
  await t.rejects(mirror.caughtUp(mirror.revision + 1000), { name: 'MirrorUnavailableError', message: /has not delivered it within 0.2 s/ })
  const waiting = t.rejects(mirror.caughtUp(mirror.revision + 1000), { name: 'MirrorUnavailableError', message: /stopped/ })
  await mirror.stop()
  await waiting
})
