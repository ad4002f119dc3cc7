// Issue #8: assignments written straight into etcd with images outside Docker's grammar
// ("../../etc/passwd", "../../127.0.0.1:<port>/path") or naming a registry that refuses
// the connection. The conductor process stays up, never contacts the address an image
// names, records each such instance as failed with the reason, and a valid instance on
// the same conductor converges.
import { once } from 'node:events'
import { createServer, type AddressInfo } from 'node:net'
import t from 'tap'
import type { InstanceRecord } from '../../schemas/index.js'
import { TEST_IMAGE } from '../../test/support/images.js'
import { waitFor } from '../../test/support/wait-for.js'
import { bed, LONG } from './harness.js'

/** A spec as the scheduler would write it, but with an image it never would. */
function rawAssignment(image: unknown): string {
  return JSON.stringify({ spec: { image, restart: 'always', services: {} }, specHash: 'bad0bad0bad0bad0', revision: 1 })
}

t.test('bad images in assignments fail only their own instance; the process lives', async t => {
  const b = bed(t)
  // A listener that counts connections: an image that made the engine or the conductor
  // contact it would show here.
  let contacted = 0
  const trap = createServer(sock => { contacted++; sock.destroy() }).listen(0, '127.0.0.1')
  await once(trap, 'listening')
  t.teardown(() => new Promise(r => trap.close(r)))
  const trapPort = (trap.address() as AddressInfo).port
  // A port nothing listens on: valid grammar, refused connection.
  const probe = createServer().listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const closedPort = (probe.address() as AddressInfo).port
  await new Promise(r => probe.close(r))

  const conductor = b.start()
  await conductor.waitForLine(/conductor running/, LONG)

  const bad: [string, unknown, RegExp][] = [
    ['passwd', '../../etc/passwd', /assignment rejected: .*image "\.\.\/\.\.\/etc\/passwd"/],
    ['ssrf', `../../127.0.0.1:${trapPort}/path`, /assignment rejected: .*image/],
    ['upper', 'UPPER/Case:1', /assignment rejected: .*image/],
    ['number', 42, /assignment rejected: .*image/],
    ['refused', `127.0.0.1:${closedPort}/x:1`, new RegExp(`cannot pull image 127\\.0\\.0\\.1:${closedPort}/x:1: .*(refused|connect)`)],
  ]
  for (const [name, image] of bad) {
    await b.etcd.client.put(b.keys.assignment(b.hostId, { app: b.app, name, index: 0 })).value(rawAssignment(image))
  }
  await b.etcd.client.put(b.keys.assignment(b.hostId, { app: b.app, name: 'junk', index: 0 })).value('{"spec": [1, 2')
  await b.assign({ app: b.app, name: 'good', index: 0 }, { image: TEST_IMAGE, services: { web: 80 } })

  await b.running(0, 'good')
  for (const [name, , why] of bad) {
    const rec = await waitFor(async () => {
      const r = await b.record({ app: b.app, name, index: 0 })
      return r?.state === 'failed' && r.error ? r : undefined
    }, { ...LONG, what: `instance ${name}/0 recorded as failed` })
    t.match(rec.error, why, `${name}: the record says why`)
  }
  const junk = await waitFor(async () => {
    const r = await b.record({ app: b.app, name: 'junk', index: 0 })
    return r?.state === 'failed' ? r : undefined
  }, { ...LONG, what: 'the unreadable assignment recorded as failed' })
  t.match(junk.error, /assignment rejected: .*not JSON/)

  // A few resync passes (every 2 s) with the bad ones retried.
  await new Promise(r => setTimeout(r, 5000))
  t.equal(conductor.exit(), undefined, 'the conductor is still running')
  t.equal(contacted, 0, 'nothing contacted the address an image named')
  t.equal((await b.containers()).filter(c => c.Labels['io.dokkaa.name'] !== 'good').length, 0, 'no container for a bad instance')
  const good = await b.record({ app: b.app, name: 'good', index: 0 }) as InstanceRecord
  t.equal(good.state, 'running', 'the valid instance runs')
  t.ok(good.ports['web'], 'and has its port published')
  t.notMatch(conductor.output(), /uncaught|unhandled/i, 'no uncaught exception or unhandled rejection logged')
})
