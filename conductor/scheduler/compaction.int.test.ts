// The scheduler's watches canceled by etcd, as a user meets it: the network between the
// scheduler and etcd fails for a moment while etcd's history is compacted (auto-compaction
// on a busy cluster), so every watch comes back asking for revisions that are gone and etcd
// cancels it. Manifests written meanwhile and after must still get their assignments and
// status — from the watches' re-read and the new watches, not from a periodic resync (set
// far beyond the test) nor a new election (the campaign's lease outlives the cut).
// On a private etcd: compaction is cluster-wide and would fail other tests' reads.
import t from 'tap'
import { Etcd3 } from 'etcd3'
import { pino } from 'pino'
import { createEtcdClient } from '../../kit/etcd-client.js'
import { KeyLayout } from '../../schemas/index.js'
import { uniquePrefix, type TestEtcd } from '../../test/support/etcd.js'
import { startOwnEtcd } from '../../test/support/own-etcd.js'
import { startTcpProxy } from '../../test/support/tcp-proxy.js'
import { waitFor } from '../../test/support/wait-for.js'
import { fakeHost, placement, putManifest, scheduler, status, type Cluster } from './test-kit.js'

const wait = <T>(fn: () => T | Promise<T>, what: string) => waitFor(fn, { timeoutMs: 30_000, intervalMs: 50, what })
const manifest = { image: 'dokkaa/busybox:test', scale: 1, services: { web: 80 } }

t.test('after etcd cancels the scheduler\'s watches (history compacted), new manifests are still scheduled', async t => {
  const own = await startOwnEtcd()
  t.teardown(() => own.close())
  const proxy = await startTcpProxy(own.url)
  t.teardown(() => proxy.close())
  // The test's own client reaches etcd directly; the scheduler's goes through the proxy.
  const direct = new Etcd3({ hosts: [own.url] })
  t.teardown(() => direct.close())
  const viaProxy = createEtcdClient({ hosts: [proxy.url] })
  t.teardown(() => viaProxy.close())

  const prefix = uniquePrefix()
  const etcd: TestEtcd = { client: direct, prefix, ns: direct.namespace(`${prefix}/`), hosts: [own.url], cleanup: async () => {} }
  const logged: { msg: string; prefix?: string }[] = []
  const log = pino({ level: 'debug' }, { write: (line: string) => { logged.push(JSON.parse(line) as { msg: string }) } })
  const c: Cluster = { etcd, keys: new KeyLayout(prefix), log }
  const said = (msg: string) => logged.filter(l => l.msg === msg)

  await fakeHost(t, c, 'h1', {}, 60)
  const s = scheduler(t, c, 'h1', { client: viaProxy, leaseTtl: 60, resyncMs: 10 * 60_000 })
  const before = { app: 'shop', name: 'before' }
  await putManifest(c, before, manifest)
  await wait(async () => (await placement(c, before)).join() === '0@h1' && await status(c, before), 'the first manifest scheduled')

  // Cut off; meanwhile a manifest is written and the history past every watch's revision is
  // compacted away (a second write, so even a watch current to the first one is behind).
  proxy.cut()
  const during = { app: 'shop', name: 'during' }
  await putManifest(c, during, manifest)
  await direct.put(`${prefix}/unrelated`).value('x')
  const { header } = await direct.get(`${prefix}/unrelated`).exec()
  await direct.kv.compact({ revision: header.revision, physical: true })
  proxy.restore()

  await wait(() => said('scheduler watch canceled by etcd; reading the prefix again').some(l => l.prefix === c.keys.apps), 'etcd to cancel the /apps watch')
  await wait(async () => (await placement(c, during)).join() === '0@h1', 'the manifest written while cut off: assigned')
  t.match(await wait(() => status(c, during), 'its status'), { phase: 'Pending', desired: 1 })

  const after = { app: 'shop', name: 'after' }
  await putManifest(c, after, manifest)
  await wait(async () => (await placement(c, after)).join() === '0@h1', 'the manifest written after the compaction: assigned')
  t.match(await wait(() => status(c, after), 'its status'), { phase: 'Pending', desired: 1 })

  t.ok(s.isLeader, 'still the leader')
  t.equal(said('elected: this conductor now schedules the cluster').length, 1, 'no new election did the work')
  t.equal(said('scheduler read the cluster state').length, 1, 'no full reload did the work')
})
