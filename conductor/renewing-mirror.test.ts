// RenewingMirror over the in-memory kv (test/support/memory-kv.ts, held to etcd's behaviour by
// test/support/kv-contract*.test.ts): the first read, a renew that takes over from the
// current mirror without a gap or a doubled event, a re-read after etcd cancels the watch, a
// renew etcd does not answer, a superseded mirror's late read dropped, and stop.
import t from 'tap'
import type { Entry, Kv, WatchEvent } from '../kit/kv.js'
import { MirrorUnavailableError } from '../kit/mirror.js'
import { MemoryKv } from '../test/support/memory-kv.js'
import { waitFor } from '../test/support/wait-for.js'
import { RenewingMirror, type RenewingSink } from './renewing-mirror.js'

const P = '/assign/h1/'

function recordingSink() {
  const map = new Map<string, string>()
  const calls: string[] = []
  const sink: RenewingSink = {
    reset(entries: Entry[], revision: number, fresh: boolean) {
      calls.push(`reset@${revision}${fresh ? ' fresh' : ''}: ${entries.map(e => e.key.slice(P.length)).join(',')}`)
      map.clear()
      for (const e of entries) map.set(e.key, e.value)
    },
    apply(events: WatchEvent[], revision: number) {
      calls.push(`apply@${revision}: ${events.map(e => `${e.type} ${e.key.slice(P.length)}`).join(',')}`)
      for (const e of events) {
        if (e.type === 'put') map.set(e.key, e.value!)
        else map.delete(e.key)
      }
    },
  }
  return { map, calls, sink }
}

/** The fake, with a count of reads, a way to hold the next one or make it fail, and (as over a
 * network) a watch that goes on delivering for `cancelDelayMs` after it was canceled. */
function kvWithControls({ cancelDelayMs = 0 } = {}) {
  const mem = new MemoryKv()
  const reads = { count: 0 }
  let hold: Promise<void> | undefined
  let failNext: 'snapshot' | 'watch' | undefined
  const kv: Pick<Kv, 'snapshot' | 'watchFrom'> = {
    async snapshot(range) {
      reads.count++
      if (failNext === 'snapshot') { failNext = undefined; throw new Error('etcd is away') }
      const gate = hold
      hold = undefined
      if (gate) await gate
      return mem.snapshot(range)
    },
    async watchFrom(range, from, handlers) {
      if (failNext === 'watch') { failNext = undefined; throw new Error('etcd is away') }
      const cancel = await mem.watchFrom(range, from, handlers)
      return async () => { await new Promise(r => setTimeout(r, cancelDelayMs)); await cancel() }
    },
  }
  return {
    mem, kv, reads,
    failNext: (what: 'snapshot' | 'watch') => { failNext = what },
    /** The next read waits until the returned function is called. */
    holdNext: () => { let release!: () => void; hold = new Promise<void>(r => { release = r }); return release },
  }
}

/** The watch etcd cancels: cut off while history past its revision was compacted, then back. */
async function cancelWatches(mem: MemoryKv): Promise<void> {
  mem.cut()
  await mem.put(`${P}gap`, 'x')
  await mem.put('/other/gap', 'x')
  await mem.compact()
  mem.restore()
}

const settle = () => new Promise(r => setTimeout(r, 20))

t.test('the first renew reads and watches; changes arrive as they happen', async t => {
  const { mem, kv } = kvWithControls()
  await mem.put(`${P}a`, '1')
  await mem.put('/other/x', 'x')
  const { map, calls, sink } = recordingSink()
  const rm = new RenewingMirror(kv, P, sink)
  t.teardown(() => rm.stop())
  await rm.renew()
  t.same(calls, ['reset@3 fresh: a'])
  await mem.put(`${P}b`, '2')
  await waitFor(() => map.has(`${P}b`), { what: 'a put' })
  await mem.delete(`${P}a`)
  await waitFor(() => !map.has(`${P}a`), { what: 'a delete' })
  t.same(calls.slice(1), ['apply@4: put b', 'apply@5: delete a'])
  t.same([...map], [[`${P}b`, '2']])
})

t.test('renew reads afresh beside the current mirror, takes over, and no change is seen twice', async t => {
  const { mem, kv, reads } = kvWithControls({ cancelDelayMs: 200 })
  const { calls, sink } = recordingSink()
  const rm = new RenewingMirror(kv, P, sink)
  t.teardown(() => rm.stop())
  await rm.renew()
  await Promise.all([rm.renew(), rm.renew()])
  t.equal(reads.count, 2, 'two callers at once, one read')
  // The old mirror's watch is still open (its cancel is on the way) and hears this too.
  t.equal(mem.openWatches, 2)
  await mem.put(`${P}a`, '1')
  await waitFor(() => mem.openWatches === 1, { what: 'the old watch canceled' })
  t.same(calls, ['reset@1 fresh: ', 'reset@1 fresh: ', 'apply@2: put a'], 'once, from the new mirror')
})

t.test('a watch etcd cancels is read again: reset not fresh, and the watch follows again', async t => {
  const { mem, kv } = kvWithControls()
  await mem.put(`${P}a`, '1')
  const { map, calls, sink } = recordingSink()
  const canceled: string[] = []
  const rm = new RenewingMirror(kv, P, sink, { onCanceled: err => canceled.push(err.message) })
  t.teardown(() => rm.stop())
  await rm.renew()
  await cancelWatches(mem)
  await waitFor(() => calls.length === 2, { what: 'the re-read' })
  t.same(calls, ['reset@2 fresh: a', 'reset@4: a,gap'], 'the change the canceled watch missed')
  t.equal(canceled.length, 1)
  await mem.put(`${P}b`, '2')
  await waitFor(() => map.has(`${P}b`), { what: 'a change after' })
  t.equal(mem.openWatches, 1)
})

t.test('a renew etcd does not answer rejects and leaves the current mirror feeding the sink', async t => {
  const { mem, kv, failNext } = kvWithControls()
  const { map, calls, sink } = recordingSink()
  const rm = new RenewingMirror(kv, P, sink)
  t.teardown(() => rm.stop())
  await rm.renew()
  failNext('snapshot')
  await t.rejects(rm.renew(), /etcd is away/)
  await mem.put(`${P}a`, '1')
  await waitFor(() => map.has(`${P}a`), { what: 'the change, through the old watch' })
  t.same(calls, ['reset@1 fresh: ', 'apply@2: put a'])
  t.equal(mem.openWatches, 1)
})

t.test('read but not watched: the new copy is current, and the next renew replaces it', async t => {
  const { mem, kv, failNext } = kvWithControls()
  const { map, calls, sink } = recordingSink()
  const rm = new RenewingMirror(kv, P, sink)
  t.teardown(() => rm.stop())
  await rm.renew()
  await mem.put(`${P}a`, '1')
  await waitFor(() => map.has(`${P}a`), { what: 'the first change' })
  failNext('watch')
  await t.rejects(rm.renew(), /etcd is away/)
  await waitFor(() => mem.openWatches === 0, { what: 'the old watch canceled' })
  await mem.put(`${P}b`, '2')
  await settle()
  t.notOk(map.has(`${P}b`), 'nothing watches now')
  await rm.renew()
  t.same(calls, ['reset@1 fresh: ', 'apply@2: put a', 'reset@2 fresh: a', 'reset@3 fresh: a,b'])
  await mem.put(`${P}c`, '3')
  await waitFor(() => map.has(`${P}c`), { what: 'the new watch' })
})

t.test('a superseded mirror\'s late re-read is dropped; its watch is not kept', async t => {
  const { mem, kv, holdNext } = kvWithControls()
  const { map, calls, sink } = recordingSink()
  const rm = new RenewingMirror(kv, P, sink)
  t.teardown(() => rm.stop())
  await rm.renew()
  // The first mirror's re-read after the cancel waits; a renew overtakes it.
  const release = holdNext()
  await cancelWatches(mem)
  await waitFor(() => mem.openWatches === 0, { what: 'the cancel' })
  await mem.put(`${P}a`, '1')
  await rm.renew()
  release()
  await settle()
  t.same(calls, ['reset@1 fresh: ', 'reset@4 fresh: a,gap'], 'the late read never reaches the sink')
  t.equal(mem.openWatches, 1, 'only the current mirror watches')
  await mem.delete(`${P}a`)
  await waitFor(() => !map.has(`${P}a`), { what: 'a change after' })
  await settle()
  t.equal(calls.length, 3, 'seen once')
})

t.test('stop ends the watches and every later renew', async t => {
  const { mem, kv } = kvWithControls()
  const { calls, sink } = recordingSink()
  const rm = new RenewingMirror(kv, P, sink)
  await rm.renew()
  await rm.stop()
  t.equal(mem.openWatches, 0)
  await mem.put(`${P}a`, '1')
  await settle()
  t.same(calls, ['reset@1 fresh: '], 'nothing after stop')
  await t.rejects(rm.renew(), MirrorUnavailableError)
})
