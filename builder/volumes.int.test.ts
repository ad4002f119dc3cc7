// Volumes kept by instances, as their owner sees and removes them (issue 11): the list,
// removal on the home host through its conductor's agent (real Docker volumes), the
// refusals (in use, host down, a container still on it), forgetting a dead host's record,
// and the app's name staying its owner's while a volume is kept.
import { randomBytes } from 'node:crypto'
import Dockerode from 'dockerode'
import t from 'tap'
import { dockerVolumeName, LABELS, type HostRecord, type VolumeHomeRecord } from '../schemas/index.js'
import { startAgentApi } from '../conductor/agent-api/agent-api.js'
import { DockerodeEngine } from '../conductor/dockerode-engine.js'
import { TEST_IMAGE } from '../test/support/images.js'
import { ensureAgentToken } from './bootstrap.js'
import { builderFixture } from './testing.js'

process.env.DOCKER_API_VERSION ??= '1.41'

t.test('an owner lists and removes the volumes their instances kept; nobody else sees them', async t => {
  const f = await builderFixture(t)
  const docker = new Dockerode()
  const run = randomBytes(4).toString('hex')
  const hostId = `bv-${run}`
  const app = `vol${run}`
  const ref = (index: number) => ({ app, name: 'db', index })
  t.teardown(async () => {
    for (const c of (await docker.listContainers({ all: true, filters: { label: [`${LABELS.host}=${hostId}`] } }))) await docker.getContainer(c.Id).remove({ force: true })
    for (const v of (await docker.listVolumes({ filters: { label: [`${LABELS.host}=${hostId}`] } })).Volumes ?? []) await docker.getVolume(v.Name).remove({ force: true }).catch(() => undefined)
  })
  const alice = await f.user(`alice${run}`)
  const bob = await f.user(`bob${run}`)
  const manifest = { image: TEST_IMAGE, scale: 2, volumes: { data: '/data' } }
  t.equal((await f.req({ method: 'PUT', url: `/api/v1/apps/${app}/db/manifest`, auth: alice, payload: manifest })).statusCode, 201)

  // What the scheduler and the conductor would have left: homes on the host, labelled Docker volumes there.
  const token = await ensureAgentToken(f.kv, f.keys)
  const agent = await startAgentApi({ engine: new DockerodeEngine(process.env.DOCKER_HOST || 'unix:///var/run/docker.sock'), hostId, token, listen: { host: '127.0.0.1', port: 0 } })
  t.teardown(() => agent.close())
  const host: HostRecord = { id: hostId, address: '127.0.0.1', labels: {}, cpus: 1, memory: 1, engineVersion: '20.10', startedAt: '', agentUrl: agent.url }
  await f.kv.put(f.keys.host(hostId), JSON.stringify(host))
  for (const i of [0, 1]) {
    const home: VolumeHomeRecord = { host: hostId, since: '2026-11-29T00:00:00.000Z', volumes: ['data'] }
    await f.kv.put(f.keys.volumeHome(ref(i)), JSON.stringify(home))
    await docker.createVolume({ Name: dockerVolumeName(ref(i), 'data'), Labels: { [LABELS.app]: app, [LABELS.name]: 'db', [LABELS.instance]: String(i), [LABELS.volume]: 'data', [LABELS.host]: hostId } })
  }
  const volumeExists = async (i: number) => (await docker.listVolumes({ filters: { name: [dockerVolumeName(ref(i), 'data')] } })).Volumes?.some(v => v.Name === dockerVolumeName(ref(i), 'data')) ?? false

  // The scheduler's word that an instance was recreated with empty volumes reaches the user.
  const warning = `instance 0 started on ${hostId} with empty volumes (data); its data stays on h-old`
  await f.kv.put(f.keys.status({ app, name: 'db' }), JSON.stringify({ phase: 'Running', desired: 2, running: 2, revision: 1, errors: [], problems: [], warnings: [warning], lastEvent: { at: '', message: '' }, updatedAt: '' }))
  t.same((await f.req({ method: 'GET', url: `/api/v1/apps/${app}/db/status`, auth: alice })).json().warnings, [warning], 'status warnings through the API')

  const list = await f.req({ method: 'GET', url: `/api/v1/apps/${app}/volumes`, auth: alice })
  t.equal(list.statusCode, 200)
  t.match(list.json(), [
    { app, name: 'db', index: 0, host: hostId, hostUp: true, inUse: true, volumes: [{ volume: 'data', dockerName: `${app}---db---0---data` }] },
    { index: 1, inUse: true },
  ])
  t.equal((await f.req({ method: 'GET', url: `/api/v1/apps/${app}/volumes`, auth: bob })).statusCode, 404, 'someone else\'s app: not found')
  t.equal((await f.req({ method: 'DELETE', url: `/api/v1/apps/${app}/db/volumes/1`, auth: bob })).statusCode, 404, '... nor removable')

  const inUse = await f.req({ method: 'DELETE', url: `/api/v1/apps/${app}/db/volumes/1`, auth: alice })
  t.equal(inUse.statusCode, 409, 'index 1 is below the scale: in use')
  t.match(inUse.json().error, { code: 'DKA_BUILDER_CONFLICT', message: /still uses its volumes: scale .* below 2 or delete it first/ })
  t.ok(await volumeExists(1), 'nothing removed')

  await f.req({ method: 'POST', url: `/api/v1/apps/${app}/db/scale`, auth: alice, payload: { scale: 1 } })
  // A container on the volume (stopped, not removed): Docker refuses, the user hears why.
  const holder = await docker.createContainer({ Image: TEST_IMAGE, Cmd: ['true'], Labels: { [LABELS.host]: hostId }, HostConfig: { Mounts: [{ Type: 'volume', Source: dockerVolumeName(ref(1), 'data'), Target: '/data' }] } })
  const held = await f.req({ method: 'DELETE', url: `/api/v1/apps/${app}/db/volumes/1`, auth: alice })
  t.equal(held.statusCode, 409)
  t.match(held.json().error.message, /a container on host .* still uses a volume/)
  await holder.remove({ force: true })
  t.equal((await f.req({ method: 'DELETE', url: `/api/v1/apps/${app}/db/volumes/1`, auth: alice })).statusCode, 204)
  t.notOk(await volumeExists(1), 'the Docker volume is gone from its host')
  t.equal(await f.kv.get(f.keys.volumeHome(ref(1))), undefined, 'and its record')
  t.ok(await volumeExists(0), 'instance 0\'s untouched')
  t.equal((await f.req({ method: 'DELETE', url: `/api/v1/apps/${app}/db/volumes/1`, auth: alice })).statusCode, 404, 'gone: 404')

  // Deleting the manifest keeps the volumes, and the app's name stays alice's.
  t.equal((await f.req({ method: 'DELETE', url: `/api/v1/apps/${app}/db`, auth: alice })).statusCode, 204)
  t.match((await f.req({ method: 'GET', url: `/api/v1/apps/${app}/volumes`, auth: alice })).json(), [{ index: 0, inUse: false }])
  t.equal((await f.req({ method: 'PUT', url: `/api/v1/apps/${app}/db/manifest`, auth: bob, payload: manifest })).statusCode, 404, 'bob cannot take the name (and the data with it)')

  // The host is gone: only the record can go, and only when asked; the data stays there.
  await f.kv.delete(f.keys.host(hostId))
  const down = await f.req({ method: 'DELETE', url: `/api/v1/apps/${app}/db/volumes/0`, auth: alice })
  t.equal(down.statusCode, 409)
  t.match(down.json().error.message, new RegExp(`host ${hostId}, where the volumes of .* live, is down: .*forget=true`))
  t.equal((await f.req({ method: 'DELETE', url: `/api/v1/apps/${app}/db/volumes/0?forget=true`, auth: alice })).statusCode, 204)
  t.equal(await f.kv.get(f.keys.volumeHome(ref(0))), undefined, 'record dropped')
  t.ok(await volumeExists(0), 'the data stays on the host')
  t.equal((await f.req({ method: 'PUT', url: `/api/v1/apps/${app}/db/manifest`, auth: bob, payload: manifest })).statusCode, 201, 'nothing of alice\'s app left: the name is free again')
})
