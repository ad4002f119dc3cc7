// Static stability against a real etcd that goes away: a private etcd is frozen
// (SIGSTOP) and later killed, each time for longer than the lease TTL. The container
// keeps running (same id, and not restarted unless it died), a container killed while
// etcd is frozen is healed all the same, and when etcd is back the conductor holds a
// live lease again with the host, instance and SkyDNS records written under it.
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { Etcd3 } from 'etcd3'
import t from 'tap'
import type { Assignment, InstanceRecord } from '../../schemas/index.js'
import { containerSpec, KeyLayout, LABELS, specHash, validateManifest } from '../../schemas/index.js'
import { listByLabel, removeContainersByLabel, testDocker } from '../../test/support/docker.js'
import { TEST_IMAGE } from '../../test/support/images.js'
import { startTsProcess } from '../../test/support/processes.js'
import { waitFor } from '../../test/support/wait-for.js'
import { LONG } from './harness.js'
import { startOwnEtcd } from '../../test/support/own-etcd.js'

const TTL = 3

t.test('etcd frozen, then killed, each longer than the TTL: containers keep running, records come back', async t => {
  const etcd = await startOwnEtcd()
  const client = new Etcd3({ hosts: [etcd.url] })
  const keys = new KeyLayout(`/t-${randomBytes(5).toString('hex')}`)
  const hostId = `it-${randomBytes(4).toString('hex')}`
  const app = `app${randomBytes(3).toString('hex')}`
  const docker = testDocker()
  const conductor = startTsProcess('conductor/main.ts', [
    '--etcd', etcd.url, '--prefix', keys.prefix, '--host-id', hostId, '--no-scheduler',
    '--host-address', '127.0.0.1', '--resync', '1', '--lease-ttl', String(TTL), '--agent-listen', 'none',
  ], {}, { name: `conductor ${hostId}` })
  t.teardown(async () => {
    await conductor.stop()
    client.close()
    await etcd.close()
    await removeContainersByLabel(LABELS.host, hostId)
  })

  const ref = { app, name: 'web', index: 0 }
  const v = validateManifest({ image: TEST_IMAGE, services: { web: 80 } })
  if (!v.ok) throw new Error('manifest')
  const spec = containerSpec(v.manifest)
  const assignment: Assignment = { spec, specHash: specHash(spec), revision: 1 }
  await client.put(keys.assignment(hostId, ref)).value(JSON.stringify(assignment))

  const mine = () => listByLabel(LABELS.host, hostId, docker)
  const startedAt = async (id: string) => (await docker.getContainer(id).inspect()).State.StartedAt
  const one = () => waitFor(async () => {
    const cs = await mine()
    return cs.length === 1 && cs[0]!.State === 'running' ? cs[0] : undefined
  }, { ...LONG, what: 'one running container' })
  /** The key, once it is held by a lease etcd still knows (a fresh client each time: etcd may have restarted). */
  const leased = (key: string) => waitFor(async () => {
    const probe = new Etcd3({ hosts: [etcd.url] })
    try {
      const kv = (await probe.get(key).exec()).kvs[0]
      if (!kv || kv.lease === '0') return undefined
      const ttl = await probe.leaseClient.leaseTimeToLive({ ID: kv.lease })
      return Number(ttl.TTL) > 0 ? { value: kv.value.toString(), lease: kv.lease } : undefined
    } finally {
      probe.close()
    }
  }, { ...LONG, what: `${key} under a live lease` })
  const announced = async (containerId: string) => {
    const host = await leased(keys.host(hostId))
    const rec = await waitFor(async () => {
      const r = JSON.parse((await leased(keys.instance(ref))).value) as InstanceRecord
      return r.containerId === containerId && r.state === 'running' ? r : undefined
    }, { ...LONG, what: 'instance record running' })
    const dns = await leased(keys.skydns(app, 'web', 'web-0'))
    return { host, rec, dns }
  }

  const c = await one()
  const first = await announced(c.Id)
  const started0 = await startedAt(c.Id)

  // 1. Frozen: the TCP connection stays up and nothing answers.
  etcd.pause()
  await sleep(500)
  await docker.getContainer(c.Id).kill()
  await waitFor(async () => (await startedAt(c.Id)) !== started0 && (await one()).Id === c.Id,
    { timeoutMs: 20_000, intervalMs: 200, what: 'the killed container started again while etcd is frozen' })
  const started1 = await startedAt(c.Id)
  await sleep((3 * TTL + 1) * 1000)
  t.equal((await one()).Id, c.Id, 'frozen etcd: the same container runs')
  t.equal(await startedAt(c.Id), started1, 'frozen etcd: not restarted')
  etcd.resume()
  const second = await announced(c.Id)
  t.not(second.host.lease, first.host.lease, 'after the freeze: host record under a new lease')
  t.equal(second.rec.containerId, c.Id)

  // 2. Killed and started again on the same data dir.
  await etcd.kill()
  await sleep((3 * TTL + 1) * 1000)
  t.equal((await one()).Id, c.Id, 'etcd gone: the same container runs')
  await etcd.restart()
  // etcd renews every lease for one TTL when it starts: a conductor that reconnects in
  // time never lets its host record drop (the scheduler would move its instances).
  const watchClient = new Etcd3({ hosts: [etcd.url] })
  t.teardown(() => watchClient.close())
  const drops: number[] = []
  const restartedAt = Date.now()
  const watcher = await watchClient.watch().key(keys.host(hostId)).create()
  watcher.on('delete', () => drops.push(Date.now() - restartedAt))
  await announced(c.Id)
  // Past the old lease's TTL (renewed by the restart): the records must not go with it.
  await sleep((2 * TTL + 1) * 1000)
  const third = await announced(c.Id)
  t.ok(third.dns.value.includes('"port"'), 'SkyDNS entry back')
  await watcher.cancel()
  t.same(drops, [], 'the host record never dropped after etcd came back')
  const all = await mine()
  t.equal(all.length, 1, 'no duplicate container')
  t.equal(all[0]!.Id, c.Id, 'the same container throughout')
  t.equal(await startedAt(c.Id), started1, 'never restarted by the outages')
  t.notOk(conductor.exit(), 'the conductor kept running')
  t.match(conductor.output(), /cannot read assignments from etcd|etcd lease lost/)
})
