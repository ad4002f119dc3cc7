// What kit/kv.ts promises of reads, writes and watches, as one suite run against the real
// etcd (kv-contract.int.test.ts) and against the in-memory fake (kv-contract.test.ts): the
// fake may stand in for etcd in pure tests only because both pass it.
import type { Test } from 'tap'
import type { Entry, KeyRange, WatchEvent, WatchHandlers } from '../../kit/kv.js'
import type { ContractKv } from './memory-kv.js'
import { waitFor } from './wait-for.js'

export interface KvHarness {
  /** The store under test; cut() cuts its watches. */
  kv: ContractKv
  /** The same store, not cut: writes while the watches are cut off. */
  direct: ContractKv
  /** A key prefix of this test's own ("/c-3f9a1c2b7e/"). */
  prefix: string
  /** Drops the watches' connection (the network between the process and etcd fails). */
  cut(): void
  restore(): void
  /** Compacts history up to the current revision and returns it. */
  compact(): Promise<number>
}

/** A watch's handlers that keep what they hear. */
export function recorder() {
  const events: WatchEvent[] = []
  const batches: number[][] = []
  const heard = { canceled: [] as Error[], disconnected: 0, connected: 0 }
  const handlers: WatchHandlers = {
    onEvents: evs => { events.push(...evs); batches.push(evs.map(e => e.modRevision)) },
    onCanceled: err => { heard.canceled.push(err) },
    onDisconnected: () => { heard.disconnected++ },
    onConnected: () => { heard.connected++ },
  }
  return { events, batches, heard, handlers }
}

const keysOf = (entries: Entry[]) => entries.map(e => e.key)
const wait = <T>(fn: () => T, what: string) => waitFor(fn, { timeoutMs: 30_000, intervalMs: 20, what })

export function kvContract(t: Test, harness: (t: Test) => Promise<KvHarness>): void {
  t.test('put, get and delete count revisions as etcd does', async t => {
    const { kv, prefix } = await harness(t)
    const before = await kv.revision()
    const first = await kv.put(`${prefix}a`, '1')
    t.same(first.entry, { key: `${prefix}a`, value: '1', createRevision: before + 1, modRevision: before + 1 })
    t.equal(first.prev, undefined)
    const second = await kv.put(`${prefix}a`, '2')
    t.same(second.entry, { key: `${prefix}a`, value: '2', createRevision: before + 1, modRevision: before + 2 }, 'an update keeps createRevision')
    t.same(second.prev, first.entry)
    t.same(await kv.get(`${prefix}a`), second.entry)
    t.equal(await kv.get(`${prefix}none`), undefined)
    t.equal(await kv.revision(), before + 2)
    const del = await kv.delete(`${prefix}a`)
    t.same(del, { revision: before + 3, prev: second.entry })
    const none = await kv.delete(`${prefix}a`)
    t.equal(none.revision, before + 3, 'deleting nothing makes no revision')
    t.equal(none.prev, undefined)
    t.equal(await kv.get(`${prefix}a`), undefined)
  })

  t.test('a snapshot holds its range in key order, read at the current revision', async t => {
    const { kv, prefix } = await harness(t)
    for (const k of ['b/2', 'a/1', 'b/1', 'c/1', 'b0']) await kv.put(`${prefix}${k}`, k)
    const all = await kv.snapshot(`${prefix}b/`)
    t.same(keysOf(all.entries), [`${prefix}b/1`, `${prefix}b/2`], 'a prefix holds only its keys')
    t.equal(all.revision, await kv.revision())
    const range: KeyRange = { start: `${prefix}a/`, end: `${prefix}b0` }
    t.same(keysOf((await kv.snapshot(range)).entries), [`${prefix}a/1`, `${prefix}b/1`, `${prefix}b/2`], '[start, end)')
    t.same((await kv.snapshot(`${prefix}none/`)).entries, [])
  })

  t.test('a watch from a revision hears every later change of its range once, in order', async t => {
    const { kv, prefix } = await harness(t)
    await kv.put(`${prefix}w/old`, '0')
    const { revision } = await kv.snapshot(`${prefix}w/`)
    const { events, handlers } = recorder()
    let inCall = false
    const cancel = await kv.watchFrom(`${prefix}w/`, revision + 1, {
      ...handlers, onEvents: evs => { if (inCall) t.fail('an event inside the write call'); handlers.onEvents(evs) },
    })
    inCall = true
    const writing = kv.put(`${prefix}w/a`, '1')
    inCall = false
    const a = await writing
    await kv.put(`${prefix}other`, 'x')
    const a2 = await kv.put(`${prefix}w/a`, '2')
    const del = await kv.delete(`${prefix}w/old`)
    await wait(() => events.length >= 3, 'three events')
    t.same(events, [
      { type: 'put', key: `${prefix}w/a`, value: '1', modRevision: a.entry.modRevision, createRevision: a.entry.modRevision },
      { type: 'put', key: `${prefix}w/a`, value: '2', modRevision: a2.entry.modRevision, createRevision: a.entry.modRevision },
      { type: 'delete', key: `${prefix}w/old`, modRevision: del.revision },
    ])
    await cancel()
    const after = await kv.put(`${prefix}w/after`, 'x')
    const { events: replay, handlers: h2 } = recorder()
    const cancel2 = await kv.watchFrom(`${prefix}w/`, a2.entry.modRevision, h2)
    await wait(() => replay.length >= 3, 'the history from a past revision')
    t.same(replay.map(e => e.modRevision), [a2.entry.modRevision, del.revision, after.entry.modRevision], 'from the revision, inclusive')
    await cancel2()
    t.equal(events.length, 3, 'nothing after cancel')
  })

  t.test('a watch from a compacted revision is accepted, then canceled by etcd', async t => {
    const { kv, prefix, compact } = await harness(t)
    const { entry } = await kv.put(`${prefix}x`, '1')
    await kv.put(`${prefix}x`, '2')
    await compact()
    const { events, heard, handlers } = recorder()
    const cancel = await kv.watchFrom(`${prefix}`, entry.modRevision, handlers)
    await wait(() => heard.canceled.length === 1, 'the cancel')
    t.same(events, [], 'no events from the compacted history')
    const done = await Promise.race([cancel().then(() => 'done'), new Promise(r => setTimeout(r, 5000, 'hung').unref())])
    t.equal(done, 'done', 'canceling a watch etcd canceled returns at once')
  })

  t.test('a cut watch resumes where it was: the changes made meanwhile, once', async t => {
    const { kv, direct, prefix, cut, restore } = await harness(t)
    const start = await kv.revision()
    const { events, heard, handlers } = recorder()
    const cancel = await kv.watchFrom(`${prefix}`, start + 1, handlers)
    t.teardown(cancel)
    await direct.put(`${prefix}before`, '0')
    await wait(() => events.length === 1, 'the first event')
    cut()
    await wait(() => heard.disconnected > 0, 'onDisconnected')
    await direct.put(`${prefix}during`, '1')
    await direct.delete(`${prefix}before`)
    restore()
    await wait(() => events.length >= 3, 'the changes made while cut')
    t.ok(heard.connected >= 1, 'onConnected')
    t.same(events.map(e => `${e.type} ${e.key.slice(prefix.length)}`), ['put before', 'put during', 'delete before'])
    await direct.put(`${prefix}after`, '2')
    await wait(() => events.length === 4, 'a change after')
    t.same(heard.canceled, [])
  })

  t.test('a watch cut off while its history was compacted is canceled when it comes back', async t => {
    const { kv, direct, prefix, cut, restore, compact } = await harness(t)
    const { events, heard, handlers } = recorder()
    const cancel = await kv.watchFrom(`${prefix}`, (await kv.revision()) + 1, handlers)
    t.teardown(cancel)
    await direct.put(`${prefix}a`, '0')
    await wait(() => events.length === 1, 'the first event')
    cut()
    await wait(() => heard.disconnected > 0, 'onDisconnected')
    await direct.put(`${prefix}b`, '1')
    await direct.put(`${prefix}c`, '2')
    await compact()
    restore()
    await wait(() => heard.canceled.length === 1, 'the cancel')
    t.equal(events.length, 1, 'the compacted changes are not delivered')
  })
}
