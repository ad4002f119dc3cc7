// One real conductor process, driven through its assignments the way the scheduler
// drives it, against the real engine: create, scale, replace, self-heal, leave foreign
// containers alone, run states, restarts, links, SkyDNS, removal.
import t from 'tap'
import type { Manifest, SkydnsRecord } from '../../schemas/index.js'
import { LABELS, skydnsLeaf } from '../../schemas/index.js'
import { INDEX_TEXT, INDEX_TEXT_V2, TEST_IMAGE, TEST_IMAGE_V2 } from '../../test/support/images.js'
import { waitFor } from '../../test/support/wait-for.js'
import { bed, dockerExec, httpGet, LONG } from './harness.js'

const b = bed(t)
const web: Manifest = { image: TEST_IMAGE, services: { web: 80 } }
const ref = (index: number, name = 'web') => ({ app: b.app, name, index })
const inspect = (id: string) => b.docker.getContainer(id).inspect()

t.before(async () => {
  b.start()
})

t.test('an assignment becomes a running container, named and labelled, announced', async t => {
  await b.assign(ref(0), web)
  const c = await b.running(0, 'web')
  t.equal(c.Names[0], `/${b.app}---web`)
  t.match(c.Labels, { [LABELS.app]: b.app, [LABELS.name]: 'web', [LABELS.instance]: '0', [LABELS.host]: b.hostId })
  const rec = await waitFor(async () => { const r = await b.record(ref(0)); return r?.state === 'running' && r.containerId === c.Id ? r : undefined }, LONG)
  t.equal(rec.host, b.hostId)
  t.ok(rec.ports.web, 'published port recorded')
  t.equal(await httpGet(rec.ports.web!), INDEX_TEXT, 'the service answers on the published port of the host address')
  const dnsKey = b.keys.skydns(b.app, 'web', skydnsLeaf(ref(0)))
  const dns = JSON.parse((await waitFor(() => b.etcd.client.get(dnsKey).string(), LONG))) as SkydnsRecord
  t.match(dns, { host: '127.0.0.1', port: rec.ports.web, protocol: 'tcp' })
})

t.test('a container the user started without labels is never touched', async t => {
  const foreign = await b.docker.createContainer({ Image: TEST_IMAGE, name: `${b.app}-foreign`, Labels: { 'it.host': b.hostId } })
  t.teardown(() => foreign.remove({ force: true }).catch(() => {}))
  await foreign.start()
  const startedAt = (await foreign.inspect()).State.StartedAt
  // A scale-up and a full resync later, it is still as we left it.
  await b.assign(ref(1), web)
  await b.running(1, 'web')
  await new Promise(r => setTimeout(r, 2500))
  const after = await foreign.inspect()
  t.equal(after.State.Running, true)
  t.equal(after.State.StartedAt, startedAt)
  t.equal(after.Config.Labels[LABELS.host], undefined)
})

t.test('scale 1 -> 3 -> 1', async t => {
  await b.assign(ref(2), web)
  await b.running(2, 'web')
  t.equal((await b.containers()).filter(c => c.Labels[LABELS.name] === 'web').length, 3)
  t.equal((await b.running(2, 'web')).Names[0], `/${b.app}---web---2`)
  await b.unassign(ref(2))
  await b.unassign(ref(1))
  await waitFor(async () => (await b.containers()).filter(c => c.Labels[LABELS.name] === 'web').length === 1, { ...LONG, what: 'one web container left' })
  t.equal((await b.containers()).find(c => c.Labels[LABELS.name] === 'web')?.Labels[LABELS.instance], '0')
  await waitFor(async () => (await b.record(ref(2))) === undefined, { ...LONG, what: 'record of instance 2 gone' })
  t.equal(await b.etcd.client.get(b.keys.skydns(b.app, 'web', skydnsLeaf(ref(1)))).string(), null, 'its SkyDNS entry gone')
})

t.test('docker kill: running again; docker rm -f: recreated', async t => {
  const c = await b.running(0, 'web')
  await b.docker.getContainer(c.Id).kill()
  await waitFor(async () => (await inspect(c.Id)).State.Running && (await b.record(ref(0)))?.restarts === 1, { ...LONG, what: 'killed container running again, restart counted' })
  t.pass('same container restarted')
  await b.docker.getContainer(c.Id).remove({ force: true })
  const again = await waitFor(async () => { const n = await b.running(0, 'web'); return n.Id !== c.Id ? n : undefined }, LONG)
  t.not(again.Id, c.Id, 'a new container')
})

t.test('spec change: the instance is replaced with the new spec', async t => {
  const old = await b.running(0, 'web')
  await b.assign(ref(0), { ...web, image: TEST_IMAGE_V2, env: { VERSION: '2' } })
  const rec = await waitFor(async () => {
    const r = await b.record(ref(0))
    return r?.state === 'running' && r.containerId !== old.Id ? r : undefined
  }, { ...LONG, what: 'replaced instance running' })
  t.equal(await httpGet(rec.ports.web!), INDEX_TEXT_V2)
  // Start-first: the old one is retired once the new one runs, and the new one takes its name.
  const left = await waitFor(async () => {
    const cs = (await b.containers()).filter(c => c.Labels[LABELS.name] === 'web')
    return cs.length === 1 && cs[0]!.Names[0] === `/${b.app}---web` ? cs : undefined
  }, { ...LONG, what: 'one web container, by the canonical name' })
  t.equal(left[0]!.Id, rec.containerId, 'the new one')
  await t.rejects(inspect(old.Id), 'old container removed')
})

t.test('run states: stopped, paused, running; restart generation', async t => {
  const spec = { ...web, image: TEST_IMAGE_V2, env: { VERSION: '2' } }
  const c = await b.running(0, 'web')
  await b.assign(ref(0), spec, { run: 'stopped' })
  await b.running(0, 'web', 'exited')
  await waitFor(async () => (await b.record(ref(0)))?.state === 'stopped', { ...LONG, what: 'record says stopped' })
  t.equal(await b.etcd.client.get(b.keys.skydns(b.app, 'web', skydnsLeaf(ref(0)))).string(), null, 'no SkyDNS entry while stopped')
  await new Promise(r => setTimeout(r, 2500))
  t.equal((await inspect(c.Id)).State.Running, false, 'stays stopped across resyncs (restart policy does not apply)')
  await b.assign(ref(0), spec, { run: 'paused' })
  await b.running(0, 'web', 'paused')
  await b.assign(ref(0), spec, { run: 'running' })
  await b.running(0, 'web')
  const before = (await inspect(c.Id)).State.StartedAt
  await b.assign(ref(0), spec, { run: 'running', restartGeneration: 1 })
  await waitFor(async () => (await b.record(ref(0)))?.restartGeneration === 1 && (await inspect(c.Id)).State.StartedAt !== before, { ...LONG, what: 'restarted once' })
  t.equal((await b.running(0, 'web')).Id, c.Id, 'same container throughout')
})

t.test('links: SERVICE_X_ADDR/PORT, ambassador DNS and search domains', async t => {
  await b.assign(ref(0, 'crawler'), { image: TEST_IMAGE, command: 'sleep 3600', links: ['web', 'db.other'] })
  const c = await b.running(0, 'crawler')
  const env = await dockerExec(c.Id, 'env')
  const info = await inspect(c.Id)
  const gateway = info.NetworkSettings.Networks['bridge']?.Gateway
  const port = await b.etcd.client.get(b.keys.port(b.app, 'web')).string()
  t.ok(port, 'a stable port was allocated for the linked service')
  t.match(env, `SERVICE_WEB_ADDR=${gateway}\n`)
  t.match(env, `SERVICE_WEB_PORT=${port}\n`)
  t.match(env, /SERVICE_DB_OTHER_PORT=\d+\n/)
  t.same(info.HostConfig.Dns, [gateway])
  t.same(info.HostConfig.DnsSearch, [`${b.app}.dokkaa.local`, 'dokkaa.local'])
  t.same(info.Config.Cmd, ['sh', '-c', 'sleep 3600'])
})

t.test('assignment deleted: containers removed, records and SkyDNS gone', async t => {
  await b.unassign(ref(0))
  await b.unassign(ref(0, 'crawler'))
  await waitFor(async () => (await b.containers()).length === 0, { ...LONG, what: 'no containers of this host' })
  await waitFor(async () => Object.keys(await b.etcd.client.getAll().prefix(b.keys.instances).strings()).length === 0, { ...LONG, what: 'no instance records' })
  t.same(await b.etcd.client.getAll().prefix(b.keys.skydnsRoot).strings(), {}, 'no SkyDNS entries')
})
