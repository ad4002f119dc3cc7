// A conductor killed with SIGKILL and started again adopts what runs: same container
// ids, no duplicates, nothing restarted. SIGTERM leaves containers running and exits 0.
import t from 'tap'
import type { Manifest } from '../../schemas/index.js'
import { LABELS } from '../../schemas/index.js'
import { TEST_IMAGE } from '../../test/support/images.js'
import { waitFor } from '../../test/support/wait-for.js'
import { bed, LONG } from './harness.js'

t.test('SIGKILL and restart: adopted, not duplicated, not restarted; SIGTERM leaves containers running', async t => {
  const b = bed(t)
  const web: Manifest = { image: TEST_IMAGE, services: { web: 80 } }
  for (let i = 0; i < 3; i++) await b.assign({ app: b.app, name: 'web', index: i }, web)
  const first = b.start()
  const before = await waitFor(async () => {
    const cs = await b.containers()
    return cs.length === 3 && cs.every(c => c.State === 'running') ? cs : undefined
  }, { ...LONG, what: 'three running instances' })
  const startedAt = new Map<string, string>()
  for (const c of before) startedAt.set(c.Id, (await b.docker.getContainer(c.Id).inspect()).State.StartedAt)

  const killed = await first.stop('SIGKILL')
  t.equal(killed.signal, 'SIGKILL')

  const second = b.start()
  await second.waitForLine('conductor running', LONG)
  // Let it work through a full resync or two before judging.
  await new Promise(r => setTimeout(r, 4500))
  const after = await b.containers()
  t.same(after.map(c => c.Id).sort(), before.map(c => c.Id).sort(), 'the same containers, no duplicates')
  for (const c of after) {
    const info = await b.docker.getContainer(c.Id).inspect()
    t.equal(info.State.StartedAt, startedAt.get(c.Id), `${c.Names[0]} was not restarted`)
  }
  t.notMatch(second.output(), /"applying"/, 'the new conductor had nothing to do')
  const record = await waitFor(async () => {
    const v = await b.etcd.client.get(b.keys.instance({ app: b.app, name: 'web', index: 1 })).string()
    return v ? JSON.parse(v) as { containerId: string; state: string } : undefined
  }, LONG)
  t.equal(record.state, 'running')
  t.ok(before.some(c => c.Id === record.containerId && c.Labels[LABELS.instance] === '1'))

  const exit = await second.stop('SIGTERM')
  t.equal(exit.code, 0, 'SIGTERM: clean exit')
  t.match(second.output(), /containers keep running/)
  const still = await b.containers()
  t.equal(still.filter(c => c.State === 'running').length, 3, 'containers keep running after the conductor stops')
})

t.test('a bad flag value: one line naming the flag, exit 2', async t => {
  const b = bed(t)
  const p = b.start(['--lease-ttl', 'soon'])
  const exit = await p.exited
  t.equal(exit.code, 2)
  t.same(p.stderr, ['dokkaa-conductor: --lease-ttl: expected an integer from 1 to 3600, got "soon"'])
})

t.test('lease lost (revoked behind its back): a new lease, every record written again', async t => {
  const b = bed(t)
  const ref = { app: b.app, name: 'web', index: 0 }
  await b.assign(ref, { image: TEST_IMAGE, services: { web: 80 } })
  const p = b.start()
  const c = await b.running(0, 'web')
  const hostKey = b.keys.host(b.hostId)
  const dnsKey = b.keys.skydns(b.app, 'web', 'web-0')
  await waitFor(() => b.etcd.client.get(dnsKey).string(), { ...LONG, what: 'SkyDNS entry' })
  const kv = (await b.etcd.client.get(hostKey).exec()).kvs[0]!
  await b.etcd.client.leaseClient.leaseRevoke({ ID: kv.lease })
  t.equal(await b.etcd.client.get(hostKey).string(), null, 'revoking dropped the host record')
  await p.waitForLine('etcd lease lost', LONG)
  const back = await waitFor(async () => {
    const kvs = (await b.etcd.client.get(hostKey).exec()).kvs
    return kvs[0] && kvs[0].lease !== kv.lease ? kvs[0] : undefined
  }, { ...LONG, what: 'host record under a new lease' })
  t.ok(back)
  await waitFor(async () => (await b.record(ref))?.containerId === c.Id, { ...LONG, what: 'instance record back' })
  await waitFor(() => b.etcd.client.get(dnsKey).string(), { ...LONG, what: 'SkyDNS entry back' })
  t.equal((await b.running(0, 'web')).Id, c.Id, 'the container was never touched')
})
