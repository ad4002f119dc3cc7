// Replacing a running instance with a real conductor and Docker, the test playing the
// scheduler. Start-first (the default): the new container starts beside the old one,
// which keeps serving (SkyDNS points at it) until the new one is healthy; then SkyDNS
// switches, the old one is stopped gracefully, and the new one takes the canonical name.
// A new version that never turns healthy leaves the old one serving, while the record
// tells of the new one; writing the old spec back (a rollback) removes the new one. A
// conductor killed in the middle converges when started again. Stop-first: the old one
// goes before the new one is created.
import t from 'tap'
import type { InstanceRecord, Manifest } from '../../schemas/index.js'
import { LABELS, skydnsLeaf } from '../../schemas/index.js'
import { TEST_IMAGE } from '../../test/support/images.js'
import { waitFor } from '../../test/support/wait-for.js'
import { bed, dockerExec, httpGet, LONG, watchDockerEvents, watchKey } from './harness.js'

process.env.DOCKER_API_VERSION ??= '1.41'
const b = bed(t)
const ref = (name: string) => ({ app: b.app, name, index: 0 })
const HEALTH = { http: '/healthz', interval: '300ms', retries: 2 }
/** Until the test lets it be ready, its failed checks must not count (they would restart it). */
const PATIENT = { ...HEALTH, startPeriod: '10m' }
/** A lease that outlives a conductor's restart on a loaded machine (see the kill below). */
const LEASE = ['--lease-ttl', '20']

/** Serves `version` at "/"; /healthz answers once /tmp/go exists (the test says when), or at once. */
function version(v: string, o: { waitForGo?: boolean; healthy?: boolean } = {}): Manifest {
  const ready = o.healthy === false ? '' : o.waitForGo ? '(while [ ! -e /tmp/go ]; do sleep 0.1; done; echo ok > /www/healthz) & ' : 'echo ok > /www/healthz; '
  return { image: TEST_IMAGE, services: { web: 80 }, command: `echo ${v} > /www/index.html; ${ready}exec httpd -f -p 80 -h /www`, health: o.waitForGo ? PATIENT : HEALTH, stopGracePeriod: '1s' }
}

const dnsKey = (name: string) => b.keys.skydns(b.app, 'web', skydnsLeaf(ref(name)))
const dnsPort = async (name: string) => {
  const v = await b.etcd.client.get(dnsKey(name)).string()
  return v ? (JSON.parse(v) as { port: number }).port : undefined
}
const mine = async (name: string) => (await b.containers()).filter(c => c.Labels[LABELS.name] === name)

async function deployed(name: string, m: Manifest): Promise<InstanceRecord> {
  const hash = await b.assign(ref(name), m)
  return waitFor(async () => {
    const r = await b.record(ref(name))
    return r?.specHash === hash && r.health === 'healthy' && await dnsPort(name) === r.ports['web'] && (await mine(name)).length === 1 ? r : undefined
  }, { ...LONG, what: `${name} healthy, announced, alone` })
}

let conductor: ReturnType<typeof b.start>
t.before(async () => {
  conductor = b.start(LEASE)
})

t.test('start-first: the old container serves until the new one is healthy; then one container, by the canonical name', async t => {
  const old = await deployed('web', version('v1'))
  const events = await watchDockerEvents(t, b.docker, b.hostId)
  // Where SkyDNS pointed when Docker signalled the old container.
  let dnsAtSignal: Promise<number | undefined> | undefined
  events.onEvent(e => { if (e.id === old.containerId && e.action === 'kill') dnsAtSignal ??= dnsPort('web') })

  const v2 = await b.assign(ref('web'), version('v2', { waitForGo: true }))
  const starting = await waitFor(async () => {
    const r = await b.record(ref('web'))
    return r?.specHash === v2 && r.state === 'running' && r.health === 'starting' ? r : undefined
  }, { ...LONG, what: 'the record tells of the new container, starting' })
  t.not(starting.containerId, old.containerId, 'a new container')
  t.equal(await dnsPort('web'), old.ports['web'], 'SkyDNS still points at the old one')
  t.equal(await httpGet(old.ports['web']!), 'v1', 'which serves')
  t.same((await mine('web')).map(c => c.State), ['running', 'running'], 'both run')

  await dockerExec(starting.containerId, 'touch', '/tmp/go')
  const done = await waitFor(async () => {
    const cs = await mine('web')
    return cs.length === 1 && cs[0]!.Names[0] === `/${b.app}---web` ? cs[0] : undefined
  }, { ...LONG, what: 'one container, by the canonical name' })
  t.equal(done.Id, starting.containerId, 'the new one')
  const now = await waitFor(async () => { const r = await b.record(ref('web')); return r?.containerName === `${b.app}---web` ? r : undefined }, { ...LONG, what: 'its record says so too' })
  t.equal(await dnsPort('web'), now?.ports['web'], 'SkyDNS points at it')
  t.equal(await httpGet(now!.ports['web']!), 'v2')
  t.equal(await dnsAtSignal, starting.ports['web'], 'SkyDNS had switched to the new one before the old one was signalled')
  t.equal(events.of(old.containerId).find(e => e.action === 'kill')?.signal, '15', 'the old one got SIGTERM first')
})

t.test('a new spec that never turns healthy: the old one serves on; the record tells of the new one; a conductor killed meanwhile converges; rollback', async t => {
  const old = await deployed('api', version('v1'))
  const v1 = old.specHash
  const dns = await watchKey(t, b.etcd.client, dnsKey('api'))
  const v2 = await b.assign(ref('api'), version('broken', { healthy: false }), { previous: version('v1') })
  const failing = await waitFor(async () => {
    const r = await b.record(ref('api'))
    return r?.specHash === v2 && r.healthError === 'GET /healthz: 404' ? r : undefined
  }, { ...LONG, what: 'the record tells of the new container failing its check' })
  t.not(failing.containerId, old.containerId)
  t.match(failing.health, /^(starting|unhealthy)$/)
  t.equal(await dnsPort('api'), old.ports['api'] ?? old.ports['web'], 'SkyDNS still points at the old one')
  t.equal(await httpGet(old.ports['web']!), 'v1', 'which serves')

  // A conductor killed in the middle of it, and started again: nothing changes for clients.
  // SkyDNS keys ride the host lease, so that holds for a restart within its TTL (a host gone
  // longer is dead and its records go, by design); the default 3 s is too short for a
  // start on a loaded test machine, so the restarted conductor and its predecessor get 20 s.
  await conductor.stop('SIGKILL')
  conductor = b.start(LEASE)
  await conductor.waitForLine('conductor running', LONG)
  await waitFor(async () => (await b.record(ref('api')))?.healthError === 'GET /healthz: 404', { ...LONG, what: 'the new conductor checks the new one too' })
  t.equal(await dnsPort('api'), old.ports['web'], 'SkyDNS still points at the old one')
  t.notOk(dns.history.includes(undefined), 'and never stopped pointing somewhere')
  if (dns.history.includes(undefined)) t.comment(conductor.output())
  t.equal((await mine('api')).length, 2, 'both containers still there')

  // The scheduler writes the old spec back.
  await b.assign(ref('api'), version('v1'))
  const back = await waitFor(async () => {
    const cs = await mine('api')
    return cs.length === 1 ? cs[0] : undefined
  }, { ...LONG, what: 'one container left' })
  t.equal(back.Id, old.containerId, 'the old one, untouched')
  t.equal(back.Names[0], `/${b.app}---api`)
  const r = await waitFor(async () => { const x = await b.record(ref('api')); return x?.containerId === old.containerId ? x : undefined }, { ...LONG, what: 'record of the old one' })
  t.same([r.specHash, r.health], [v1, 'healthy'])
})

t.test('stop-first: the old container is gone before the new one is created', async t => {
  const old = await deployed('sf', version('v1'))
  const events = await watchDockerEvents(t, b.docker, b.hostId)
  await b.assign(ref('sf'), version('v2'), { order: 'stop-first' })
  const fresh = await waitFor(async () => {
    const cs = await mine('sf')
    return cs.length === 1 && cs[0]!.Id !== old.containerId && cs[0]!.State === 'running' ? cs[0] : undefined
  }, { ...LONG, what: 'the new container running' })
  const order = events.all.filter(e => (e.id === old.containerId && e.action === 'destroy') || (e.id === fresh.Id && e.action === 'create'))
  t.same(order.map(e => e.action), ['destroy', 'create'], 'destroyed, then created')
  t.equal(fresh.Names[0], `/${b.app}---sf`, 'by the canonical name at once')
})
