// Health checks with a real conductor and Docker. http checks are made by the conductor
// from the host (the test image has no curl); a cmd check becomes Docker's HEALTHCHECK,
// and an image's own HEALTHCHECK counts when the manifest has none. An instance whose
// check fails leaves SkyDNS and is restarted per its restart policy ("never": it stays,
// withdrawn, its record saying why). A test makes a check fail by removing the file the
// check reads from the container's web root.
import { randomBytes } from 'node:crypto'
import t from 'tap'
import type { InstanceRecord, Manifest } from '../../schemas/index.js'
import { skydnsLeaf } from '../../schemas/index.js'
import { TEST_IMAGE } from '../../test/support/images.js'
import { waitFor } from '../../test/support/wait-for.js'
import { bed, dockerExec, LONG, watchKey } from './harness.js'

process.env.DOCKER_API_VERSION ??= '1.41'
const b = bed(t)
const ref = (name: string) => ({ app: b.app, name, index: 0 })
const SERVE = 'echo ok > /www/healthz; exec httpd -f -p 80 -h /www'

function checked(health: Manifest['health'], extra: Partial<Manifest> = {}): Manifest {
  return { image: TEST_IMAGE, services: { web: 80 }, command: SERVE, health, stopGracePeriod: '1s', ...extra }
}

t.before(async () => {
  b.start()
})

async function healthy(name: string): Promise<InstanceRecord> {
  return waitFor(async () => {
    const r = await b.record(ref(name))
    return r?.state === 'running' && r.health === 'healthy' ? r : undefined
  }, { ...LONG, what: `${name} healthy` })
}

const dnsKey = (name: string) => b.keys.skydns(b.app, 'web', skydnsLeaf(ref(name)))
const portIn = (v: string | null | undefined) => (v ? (JSON.parse(v) as { port: number }).port : undefined)

t.test('http check (an image without curl): healthy and announced; failing: withdrawn at once, restarted, back', async t => {
  await b.assign(ref('web'), checked({ http: '/healthz', interval: '300ms', retries: 2 }))
  const before = await healthy('web')
  t.ok(before.healthySince, 'healthy since a time')
  t.equal(before.healthError, undefined)
  t.equal(portIn(await waitFor(() => b.etcd.client.get(dnsKey('web')).string(), LONG)), before.ports['web'], 'in SkyDNS')
  const dns = await watchKey(t, b.etcd.client, dnsKey('web'))
  const records = await watchKey(t, b.etcd.client, b.keys.instance(ref('web')))
  const startedAt = (await b.docker.getContainer(before.containerId).inspect()).State.StartedAt

  await dockerExec(before.containerId, 'rm', '/www/healthz')
  const after = await waitFor(async () => {
    const r = await b.record(ref('web'))
    return r?.restarts === 1 && r.health === 'healthy' ? r : undefined
  }, { ...LONG, what: 'restarted and healthy again' })
  const said = records.history.map(v => (v ? JSON.parse(v) as InstanceRecord : undefined))
  t.ok(said.some(r => r?.health === 'unhealthy' && r.healthError === 'GET /healthz: 404'), 'its record said unhealthy, and why')
  t.ok(dns.history.includes(undefined), 'its SkyDNS record was withdrawn')
  t.equal(after.containerId, before.containerId, 'the same container')
  t.not((await b.docker.getContainer(after.containerId).inspect()).State.StartedAt, startedAt, 'restarted')
  t.equal(portIn(await waitFor(() => b.etcd.client.get(dnsKey('web')).string(), LONG)), after.ports['web'], 'back in SkyDNS')
})

t.test('restart never: an unhealthy instance stays, withdrawn, its record saying why', async t => {
  await b.assign(ref('never'), checked({ http: '/healthz', interval: '300ms', retries: 2 }, { restart: 'never' }))
  const before = await healthy('never')
  await waitFor(() => b.etcd.client.get(dnsKey('never')).string(), { ...LONG, what: 'in SkyDNS' })
  const startedAt = (await b.docker.getContainer(before.containerId).inspect()).State.StartedAt
  await dockerExec(before.containerId, 'rm', '/www/healthz')
  const sick = await waitFor(async () => {
    const r = await b.record(ref('never'))
    return r?.health === 'unhealthy' ? r : undefined
  }, { ...LONG, what: 'record unhealthy' })
  t.equal(sick.healthError, 'GET /healthz: 404')
  t.equal(sick.state, 'running')
  await waitFor(async () => (await b.etcd.client.get(dnsKey('never')).string()) === null, { ...LONG, what: 'SkyDNS record gone' })
  const info = await b.docker.getContainer(before.containerId).inspect()
  t.equal(info.State.StartedAt, startedAt, 'not restarted')
  t.equal(info.State.Running, true, 'still running')
})

t.test('a cmd check is Docker\'s HEALTHCHECK; its verdict and output reach the record', async t => {
  await b.assign(ref('cmd'), checked({ cmd: ['cat', '/www/healthz'], interval: '1s', retries: 1 }, { restart: 'never' }))
  const before = await healthy('cmd')
  const info = await b.docker.getContainer(before.containerId).inspect()
  t.same(info.Config.Healthcheck?.Test, ['CMD', 'cat', '/www/healthz'])
  t.equal(info.Config.Healthcheck?.Interval, 1e9, 'interval in ns')
  await waitFor(() => b.etcd.client.get(dnsKey('cmd')).string(), { ...LONG, what: 'in SkyDNS' })
  await dockerExec(before.containerId, 'rm', '/www/healthz')
  const sick = await waitFor(async () => {
    const r = await b.record(ref('cmd'))
    return r?.health === 'unhealthy' ? r : undefined
  }, { ...LONG, what: 'record unhealthy' })
  t.match(sick.healthError, /healthz/, 'the failing check\'s output')
  await waitFor(async () => (await b.etcd.client.get(dnsKey('cmd')).string()) === null, { ...LONG, what: 'SkyDNS record gone' })
})

t.test('an image\'s own HEALTHCHECK counts when the manifest has none', async t => {
  const image = `dokkaa-test/own-healthcheck:${randomBytes(4).toString('hex')}`
  const [repo, tag] = image.split(':') as [string, string]
  const base = await b.docker.createContainer({ Image: TEST_IMAGE, Labels: { 'io.dokkaa.test': 'image-base' } })
  t.teardown(() => base.remove({ force: true }).catch(() => {}))
  await base.commit({ repo, tag, changes: 'HEALTHCHECK --interval=1s --retries=1 CMD cat /www/healthz' })
  t.teardown(() => b.docker.getImage(image).remove({ force: true }).catch(() => {}))
  await b.assign(ref('own'), { image, services: { web: 80 }, command: SERVE, restart: 'never', stopGracePeriod: '1s' })
  const before = await healthy('own')
  await dockerExec(before.containerId, 'rm', '/www/healthz')
  await waitFor(async () => (await b.record(ref('own')))?.health === 'unhealthy', { ...LONG, what: 'record unhealthy' })
  await waitFor(async () => (await b.etcd.client.get(dnsKey('own')).string()) === null, { ...LONG, what: 'SkyDNS record gone' })
  t.pass('withdrawn by the image\'s check')
  await b.unassign(ref('own'))
  await waitFor(async () => (await b.containers()).every(c => c.Labels['io.dokkaa.name'] !== 'own'), { ...LONG, what: 'its container gone' })
})
