// Issue 11, test 2, end to end on one machine through the real `dokkaacfg`: a three-host
// cluster, an instance writing into its named volume; its host crashes. Pinned (the
// default), the instance waits for its volume — nowhere else is it started, and the status
// says which volume on which host; with "volumeFailover": "recreate" it comes back on
// another host with an empty volume, and the status says the data was not carried.
import t from 'tap'
import type { InstanceRecord, StatusRecord } from '../schemas/index.js'
import { allowLabTeardown, canRunLabs, installedDokkaa, installedDokkaaUntouched, upLabCluster } from './lab-test-support.js'
import { nodeEntry } from './local-agents.js'
import { crashNetnsHost } from './host-crash.js'
import { waitFor } from '../test/support/wait-for.js'

const skip = canRunLabs() || (!nodeEntry('conductor') || !nodeEntry('ambassador') || !nodeEntry('builder') ? 'needs conductor, ambassador and builder' : false)
const IMAGE = 'dokkaa/busybox:test'
const installed = installedDokkaa()
const TEST_MS = 240_000
allowLabTeardown(t, TEST_MS)

t.test('a volume\'s host crashes: pinned, the instance waits and says so; recreate starts it elsewhere, empty', { skip, timeout: TEST_MS }, async t => {
  const { lab, hostIndex, keys, etcd } = await upLabCluster(t, { namePrefix: 'dkv', scale: 3, image: IMAGE })

  const ref = { app: 'shop', name: 'db', index: 0 }
  // Counts its starts in its volume: the count tells whether the data came along.
  const db = { image: IMAGE, volumes: { data: '/data' }, command: 'n=$(cat /data/n 2>/dev/null || echo 0); echo $((n+1)) > /data/n; exec sleep 100000' }
  await etcd.put(keys.manifest(ref)).value(JSON.stringify(db))
  const record = async () => { const v = await etcd.get(keys.instance(ref)).string(); return v ? JSON.parse(v) as InstanceRecord : undefined }
  const status = async () => { const v = await etcd.get(keys.status(ref)).string(); return v ? JSON.parse(v) as StatusRecord : undefined }
  const count = async (r: InstanceRecord) => {
    const exec = await lab.docker(hostIndex(r.host)).getContainer(r.containerId!).exec({ Cmd: ['cat', '/data/n'], AttachStdout: true })
    const out = await exec.start({ hijack: true, stdin: false })
    let text = ''
    for await (const chunk of out) text += (chunk as Buffer).toString('latin1')
    return Number(/(\d+)/.exec(text)?.[1])
  }
  const first = await waitFor(async () => { const r = await record(); return r?.state === 'running' ? r : undefined }, { timeoutMs: 60_000, intervalMs: 500, what: 'shop/db running' })
  t.equal(await count(first), 1, `started once on ${first.host}, counted in its volume`)
  const home = JSON.parse((await etcd.get(keys.volumeHome(ref)).string())!) as { host: string }
  t.equal(home.host, first.host, 'its volume home is the host it runs on')

  await crashNetnsHost(lab.host(hostIndex(first.host)))
  const waiting = await waitFor(async () => {
    const s = await status()
    return s?.problems.some(p => p.includes(`waits for its volumes (data) on host ${first.host}, which is down`)) ? s : undefined
  }, { timeoutMs: 60_000, intervalMs: 500, what: 'the status to say the instance waits for its volume' })
  t.match(waiting.problems.join('\n'), /set "volumeFailover": "recreate" to start it elsewhere with empty volumes/, 'and how not to')
  // Nowhere else: give the scheduler time it would need to move a plain instance (a few s).
  await new Promise(r => setTimeout(r, 8_000))
  const assigned = Object.keys(await etcd.getAll().prefix(keys.assignRoot).strings()).filter(k => k.endsWith('/shop/db/0'))
  t.same(assigned.map(k => k.split('/').at(-4)), [first.host], 'still assigned only to the dead host: no second container anywhere')

  await etcd.put(keys.manifest(ref)).value(JSON.stringify({ ...db, volumeFailover: 'recreate' }))
  const moved = await waitFor(async () => { const r = await record(); return r?.state === 'running' && r.host !== first.host ? r : undefined },
    { timeoutMs: 60_000, intervalMs: 500, what: 'shop/db running on another host' })
  t.equal(await count(moved), 1, `recreated on ${moved.host} with an empty volume (counted from 0 again)`)
  const told = await waitFor(async () => (await status())?.warnings, { timeoutMs: 30_000, intervalMs: 500, what: 'a status warning' })
  t.same(told, [`instance 0 started on ${moved.host} with empty volumes (data); its data stays on ${first.host}`])
})

installedDokkaaUntouched(t, installed)
