// A host that was cut off longer than its lease TTL comes back after its instance has
// moved to another host: when it re-grants its lease it must not write its old records
// over the new owner's, nor delete them while cleaning up. Two real conductors on one
// engine; the first is frozen with SIGSTOP (its own pid), the test moves the assignment
// as the scheduler would.
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type { Assignment, InstanceRecord, SkydnsRecord } from '../../schemas/index.js'
import { containerSpec, LABELS, specHash, validateManifest } from '../../schemas/index.js'
import { removeContainersByLabel } from '../../test/support/docker.js'
import { TEST_IMAGE } from '../../test/support/images.js'
import { startTsProcess } from '../../test/support/processes.js'
import { waitFor } from '../../test/support/wait-for.js'
import { bed, LONG } from './harness.js'

t.test('a host back from a partition leaves the records of the host that took over alone', async t => {
  const b = bed(t)
  const hostB = `${b.hostId}-b`
  const ref = { app: b.app, name: 'web', index: 0 }
  const v = validateManifest({ image: TEST_IMAGE, services: { web: 80 } })
  if (!v.ok) throw new Error('manifest')
  const spec = containerSpec(v.manifest)
  const value = JSON.stringify({ spec, specHash: specHash(spec), revision: 1 } satisfies Assignment)

  await b.etcd.client.put(b.keys.assignment(b.hostId, ref)).value(value)
  const a = b.start(['--lease-ttl', '2', '--agent-listen', 'none'])
  const cA = await b.running(0, 'web')
  await waitFor(async () => (await b.record(ref))?.containerId === cA.Id, { ...LONG, what: 'record of host A' })
  const dnsKey = b.keys.skydns(b.app, 'web', 'web-0')
  await waitFor(() => b.etcd.client.get(dnsKey).string(), { ...LONG, what: 'SkyDNS entry of host A' })

  // Host A drops off the network: its lease expires, its records vanish.
  process.kill(a.pid, 'SIGSTOP')
  t.teardown(() => { try { process.kill(a.pid, 'SIGCONT') } catch { /* gone */ } })
  await waitFor(async () => (await b.etcd.client.get(b.keys.host(b.hostId)).string()) === null, { ...LONG, what: 'host A expired' })

  // The scheduler moves the instance to host B, whose conductor runs it and announces it.
  const conductorB = startTsProcess('conductor/main.ts', [
    '--etcd', b.etcd.hosts.join(','), '--prefix', b.etcd.prefix, '--host-id', hostB, '--no-scheduler',
    '--host-address', '127.0.0.1', '--resync', '2', '--lease-ttl', '2', '--agent-listen', 'none',
  ], {}, { name: `conductor ${hostB}` })
  t.teardown(async () => {
    await conductorB.stop()
    await removeContainersByLabel(LABELS.host, hostB)
  })
  await b.etcd.client.delete().key(b.keys.assignment(b.hostId, ref))
  await b.etcd.client.put(b.keys.assignment(hostB, ref)).value(value)
  const recB = await waitFor(async () => {
    const r = await b.record(ref)
    return r?.host === hostB && r.state === 'running' ? r : undefined
  }, { ...LONG, what: 'record of host B' })
  const dnsB = await waitFor(async () => {
    const s = await b.etcd.client.get(dnsKey).string()
    const d = s ? JSON.parse(s) as SkydnsRecord : undefined
    return d && d.port === recB.ports.web ? d : undefined
  }, { ...LONG, what: 'SkyDNS entry of host B' })

  // Host A comes back: new lease, and its old container goes (no longer assigned there).
  process.kill(a.pid, 'SIGCONT')
  await a.waitForLine('etcd lease lost', LONG)
  await waitFor(async () => (await b.containers()).length === 0, { ...LONG, what: 'host A removed its container' })
  await waitFor(() => b.etcd.client.get(b.keys.host(b.hostId)).string(), { ...LONG, what: 'host A registered again' })
  // A few resyncs of both conductors.
  await sleep(5000)

  const after = await b.record(ref)
  t.equal(after?.host, hostB, 'the instance record still names host B')
  t.equal(after?.containerId, recB.containerId, 'and B\'s container')
  const dnsAfter = await b.etcd.client.get(dnsKey).string()
  t.same(dnsAfter ? JSON.parse(dnsAfter) as SkydnsRecord : undefined, dnsB, 'the SkyDNS entry still points at B')
  const rec = after as InstanceRecord | undefined
  t.equal(rec?.state, 'running')
  // Whichever comes first after SIGCONT — re-granting the lease (reclaim) or removing the
  // unassigned container (withdrawing its record) — host A says why it left the key alone.
  t.match(a.output(), /another host wrote this key (while we were cut off|since our last write)/, 'host A says why it left the key alone')
})
