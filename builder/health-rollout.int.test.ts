// Health and rollouts through the REST API, in-process against a real etcd: what the
// conductor (instance health) and the scheduler (a status's rollout) write comes back in
// the instance and status views, and the OpenAPI document declares it. Records written by
// hand with junk in those fields still answer 200, the junk left out — never a 500.
import t from 'tap'
import { waitFor } from '../test/support/wait-for.js'
import { builderFixture, nginx, type BuilderFixture } from './testing.js'

const ref = { app: 'shop', name: 'web' }
const rollout = { state: 'rolled-back', from: { revision: 12, specHash: 'aaa' }, to: { revision: 15, specHash: 'bbb' }, updated: 1, total: 3, reason: 'instance 0 unhealthy: GET /healthz: 503', startedAt: '2024-05-01T10:00:00.000Z', endedAt: '2024-05-01T10:01:00.000Z' }
const status = { phase: 'RolledBack', desired: 3, running: 3, revision: 15, validRevision: 12, specHash: 'aaa', errors: [], problems: [], rollout, lastEvent: { at: '2024-05-01T10:01:00.000Z', message: 'rolled back' }, updatedAt: '2024-05-01T10:01:00.000Z' }
const instance = { host: 'h1', hostAddress: '10.0.0.1', containerId: 'c0', containerName: 'shop---web', state: 'running', specHash: 'aaa', ports: { web: 20001 }, restarts: 0, updatedAt: '2024-05-01T10:01:00.000Z' }

async function get(f: BuilderFixture, url: string) {
  const res = await f.req({ method: 'GET', url, auth: f.root })
  return { status: res.statusCode, body: res.json() as unknown }
}

/** The status as every read of it answers: the manifest view, the app, the list, the status route. */
async function statusViews(f: BuilderFixture) {
  const one = await get(f, `/api/v1/apps/${ref.app}/${ref.name}`)
  const app = await get(f, `/api/v1/apps/${ref.app}`)
  const list = await get(f, '/api/v1/apps')
  const own = await get(f, `/api/v1/apps/${ref.app}/${ref.name}/status`)
  return {
    codes: [one.status, app.status, list.status, own.status],
    views: [
      (one.body as { status?: unknown }).status,
      (app.body as { manifests: { status?: unknown }[] }).manifests[0]?.status,
      (list.body as { manifests: { status?: unknown }[] }[])[0]?.manifests[0]?.status,
      own.body,
    ],
  }
}

t.test('instance health and the rollout are in the views, as written', async t => {
  const f = await builderFixture(t)
  t.equal((await f.req({ method: 'PUT', url: '/api/v1/apps/shop/web/manifest', auth: f.root, payload: nginx })).statusCode, 201)
  await f.kv.put(f.keys.status(ref), JSON.stringify(status))
  await f.kv.put(f.keys.instance({ ...ref, index: 0 }), JSON.stringify({ ...instance, health: 'unhealthy', healthError: 'GET /healthz: 503' }))
  await f.kv.put(f.keys.instance({ ...ref, index: 1 }), JSON.stringify({ ...instance, containerName: 'shop---web---1', health: 'healthy', healthySince: '2024-05-01T10:00:30.000Z' }))
  await f.kv.put(f.keys.instance({ ...ref, index: 2 }), JSON.stringify({ ...instance, containerName: 'shop---web---2' }))

  const seen = await waitFor(async () => { const s = await statusViews(f); return s.views.every(v => (v as { phase?: string } | null)?.phase === 'RolledBack') && s }, { what: 'the status in the watched copy' })
  t.same(seen.codes, [200, 200, 200, 200])
  for (const v of seen.views) t.same(v, status, 'every view carries the whole status with its rollout')

  const list = await get(f, '/api/v1/apps/shop/web/instances')
  t.equal(list.status, 200)
  const health = (list.body as { index: number; health?: string; healthError?: string; healthySince?: string }[]).map(i => [i.index, i.health, i.healthError, i.healthySince])
  t.same(health, [[0, 'unhealthy', 'GET /healthz: 503', undefined], [1, 'healthy', undefined, '2024-05-01T10:00:30.000Z'], [2, undefined, undefined, undefined]],
    'health, the failure reason and healthySince per instance; no health without a check')
})

t.test('junk in health and rollout fields: 200, the junk left out', async t => {
  const f = await builderFixture(t)
  t.equal((await f.req({ method: 'PUT', url: '/api/v1/apps/shop/web/manifest', auth: f.root, payload: nginx })).statusCode, 201)
  const deep = '{"a":'.repeat(3000) + '1' + '}'.repeat(3000)
  const junkRollouts: unknown[] = [
    'rolling', 42, [rollout], { ...rollout, state: 'exploded' }, { ...rollout, from: null }, { ...rollout, to: { revision: 'fifteen' } },
    { ...rollout, to: { revision: -3, specHash: 'b' } }, { ...rollout, to: { revision: 1e300 } }, { ...rollout, state: { deep: { er: [1] } } },
  ]
  for (const [i, junk] of junkRollouts.entries()) {
    const marker = `junk ${i}`
    await f.kv.put(f.keys.status(ref), JSON.stringify({ ...status, lastEvent: { at: 'x', message: marker }, rollout: junk }))
    const seen = await waitFor(async () => { const s = await statusViews(f); return s.views.every(v => (v as { lastEvent?: { message: string } } | null)?.lastEvent?.message === marker) && s }, { what: `status ${marker}` })
    t.same(seen.codes, [200, 200, 200, 200], `${marker}: every read answers`)
    for (const v of seen.views) t.notOk((v as { rollout?: unknown }).rollout, `${marker} (${JSON.stringify(junk).slice(0, 50)}): no rollout shown`)
  }
  // Fields of a readable rollout with the wrong types are left out one by one.
  await f.kv.put(f.keys.status(ref), JSON.stringify({ ...status, lastEvent: { at: 'x', message: 'partly' }, rollout: { ...rollout, updated: 'one', reason: { why: deep }, endedAt: 7 } }))
  const partly = await waitFor(async () => { const s = await statusViews(f); return s.views.every(v => (v as { lastEvent?: { message: string } } | null)?.lastEvent?.message === 'partly') && s }, { what: 'the partly junk status' })
  t.same(partly.codes, [200, 200, 200, 200])
  t.same((partly.views[3] as { rollout: unknown }).rollout, { state: 'rolled-back', from: rollout.from, to: rollout.to, updated: 0, total: 3, startedAt: rollout.startedAt })

  const junkInstances: Record<string, unknown>[] = [
    { health: 'sick' }, { health: ['healthy'] }, { health: { state: 'healthy' } }, { healthError: { message: 'x' } }, { healthError: 'e'.repeat(100_000) },
    { healthySince: 1714557600 }, { health: 'healthy', healthError: null, healthySince: [] },
  ]
  for (const [i, junk] of junkInstances.entries()) await f.kv.put(f.keys.instance({ ...ref, index: i }), JSON.stringify({ ...instance, ...junk }))
  // Deeper than any record may be: the record is not read at all (like every record of the builder's).
  await f.kv.put(f.keys.instance({ ...ref, index: 99 }), JSON.stringify({ ...instance, health: JSON.parse(deep) }))
  const res = await f.req({ method: 'GET', url: '/api/v1/apps/shop/web/instances', auth: f.root })
  t.equal(res.statusCode, 200, 'instances with junk health answer')
  const got = res.json() as { index: number; health?: unknown; healthError?: unknown; healthySince?: unknown; state: string }[]
  t.same(got.map(i => i.index), junkInstances.map((_, i) => i), 'no instance is hidden for the type of its health; the 3,000-level one is not read')
  t.same(got.map(i => [i.health, i.healthError, i.healthySince]), junkInstances.map(j => [j.health === 'healthy' ? 'healthy' : undefined, undefined, undefined]), 'only well-typed health fields are shown')
  t.ok(got.every(i => i.state === 'running'), 'the rest of each record is shown')
})

t.test('the OpenAPI document declares instance health and the rollout', async t => {
  const f = await builderFixture(t)
  const doc = (await f.req({ method: 'GET', url: '/api/v1/openapi.json' })).json()
  const instances = doc.paths['/api/v1/apps/{app}/{name}/instances'].get.responses['200'].content['application/json'].schema.items.properties
  t.same(instances.health.enum, ['starting', 'healthy', 'unhealthy'])
  t.equal(instances.healthError.type, 'string')
  t.equal(instances.healthySince.type, 'string')
  const view = doc.paths['/api/v1/apps/{app}/{name}'].get.responses['200'].content['application/json'].schema.properties
  const r = view.status.properties.rollout.properties
  t.same(r.state.enum, ['rolling', 'completed', 'rolled-back', 'paused'])
  t.same(Object.keys(r).sort(), ['endedAt', 'from', 'reason', 'startedAt', 'state', 'to', 'total', 'updated'])
  t.equal(r.to.properties.revision.type, 'integer')
  const own = doc.paths['/api/v1/apps/{app}/{name}/status'].get.responses['200'].content['application/json'].schema
  t.ok(JSON.stringify(own).includes('"rolled-back"'), 'the status route declares the rollout too')
  const list = doc.paths['/api/v1/apps'].get.responses['200'].content['application/json'].schema
  t.ok(JSON.stringify(list).includes('"rolled-back"'), 'so does the app list')
})
