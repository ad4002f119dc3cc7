import t from 'tap'
import { KeyLayout } from '../schemas/index.js'
import type { ContainerDetail } from './docker-engine.js'
import { emptyMemo, instanceRecord, memoFromRecord, sameRecord, skydnsRecords } from './instance-record.js'
import type { DesiredInstance } from './model.js'

const ref = { app: 'dummy', name: 'nginx', index: 2 }
const desired: DesiredInstance = { ref, specHash: 's1', run: 'running', restartGeneration: 0, spec: { image: 'i', restart: 'always', services: { nginx: { port: 80, role: 'web' }, stats: { port: 9000 } } } }
const detail: ContainerDetail = {
  id: 'c1', name: 'dummy---nginx---2', labels: { 'io.dokkaa.spec': 's1' }, state: 'running', createdAt: 1, startedAt: Date.UTC(2025, 0, 1),
  address: '172.17.0.9', hostPorts: { '80/tcp': 32768 }, networkMode: 'bridge',
}
const base = { ref, desired, hostId: 'h1', hostAddress: '10.0.0.5', now: Date.UTC(2025, 0, 2) }

t.test('a running instance: record and SkyDNS entries', async t => {
  const r = instanceRecord({ ...base, detail, memo: { ...emptyMemo(), restarts: 2 } })!
  t.match(r, { host: 'h1', hostAddress: '10.0.0.5', containerId: 'c1', containerName: 'dummy---nginx---2', state: 'running', specHash: 's1', address: '172.17.0.9', ports: { nginx: 32768 }, restarts: 2, startedAt: '2025-01-01T00:00:00.000Z' })
  t.equal(r.exitCode, undefined)
  const dns = skydnsRecords(new KeyLayout('/p'), ref, desired, '10.0.0.5', detail)
  t.same([...dns], [['/p/skydns/local/dokkaa/dummy/nginx/nginx-2', { host: '10.0.0.5', port: 32768, instance: 'dummy/nginx/2', protocol: 'tcp', role: 'web' }]])
})

t.test('states: stopped by us, died, pull failure', async t => {
  const exited: ContainerDetail = { ...detail, state: 'exited', exitCode: 137 }
  t.equal(instanceRecord({ ...base, detail: exited, memo: { ...emptyMemo(), stoppedByUs: true } })!.state, 'stopped')
  const died = instanceRecord({ ...base, detail: exited, memo: emptyMemo() })!
  t.match(died, { state: 'exited', exitCode: 137 })
  t.equal(died.health, undefined, 'no health without a check')
  t.equal(skydnsRecords(new KeyLayout(), ref, desired, '10.0.0.5', exited).size, 0, 'no DNS for an instance that is not running')
  t.equal(skydnsRecords(new KeyLayout(), ref, desired, '10.0.0.5', undefined).size, 0, 'no DNS without a container that serves')
  const failed = instanceRecord({ ...base, memo: { ...emptyMemo(), error: 'cannot pull image x: not found' } })!
  t.match(failed, { state: 'failed', containerId: '', containerName: 'dummy---nginx---2', error: 'cannot pull image x: not found', specHash: 's1' })
  t.equal(instanceRecord({ ...base, memo: emptyMemo() }), undefined, 'nothing to say before the first attempt')
})

t.test('change detection ignores the time of writing; memo round-trips', async t => {
  const a = instanceRecord({ ...base, detail, memo: emptyMemo() })!
  const b = instanceRecord({ ...base, now: base.now + 5000, detail, memo: emptyMemo() })!
  t.ok(sameRecord(a, b))
  t.notOk(sameRecord(a, { ...b, state: 'paused' }))
  t.same(memoFromRecord({ ...a, state: 'stopped', restarts: 4, restartGeneration: 3 }), { restarts: 4, quickRestarts: 0, restartGeneration: 3, stoppedByUs: true, adopted: { containerId: 'c1' } })
  t.same(memoFromRecord({ ...a, health: 'healthy', healthySince: '2025-01-01T00:00:00.000Z' }).adopted, { containerId: 'c1', health: 'healthy', healthySince: '2025-01-01T00:00:00.000Z' })
})

t.test('health: the verdict, the reason while not healthy, healthySince while healthy', async t => {
  const starting = instanceRecord({ ...base, detail, memo: emptyMemo(), health: { state: 'starting', error: 'GET /healthz: 404' } })!
  t.match(starting, { health: 'starting', healthError: 'GET /healthz: 404' })
  t.equal(starting.healthySince, undefined)
  const healthy = instanceRecord({ ...base, detail, memo: emptyMemo(), health: { state: 'healthy', healthySince: Date.UTC(2025, 0, 1, 12) } })!
  t.match(healthy, { health: 'healthy', healthySince: '2025-01-01T12:00:00.000Z' })
  t.equal(healthy.healthError, undefined)
  t.notOk(sameRecord(starting, healthy), 'a change of health is a change of record')
})

t.test('pulling: the state while no container exists, the progress beside a container that does; the image run', async t => {
  const pulling = instanceRecord({ ...base, memo: { ...emptyMemo(), pulling: 'r:5000/app:v2: 1 of 3 layers' } })!
  t.match(pulling, { state: 'pulling', containerId: '', pullProgress: 'r:5000/app:v2: 1 of 3 layers' })
  t.equal(pulling.error, undefined)
  const retry = instanceRecord({ ...base, memo: { ...emptyMemo(), error: 'cannot pull image: unauthorized', pulling: 'r:5000/app:v2: starting' } })!
  t.match(retry, { state: 'pulling' }, 'a pull retried after a failure is news')
  t.equal(retry.error, undefined, 'the failure it retries shows again only if it fails again')
  const beside = instanceRecord({ ...base, detail, memo: { ...emptyMemo(), pulling: 'x: 0 of 1 layers' } })!
  t.match(beside, { state: 'running', pullProgress: 'x: 0 of 1 layers' }, 'an old container keeps its state while the new image comes')
  const digest = `sha256:${'c'.repeat(64)}`
  const ran = instanceRecord({ ...base, detail: { ...detail, imageId: `sha256:${'d'.repeat(64)}` }, imageDigest: digest, memo: emptyMemo() })!
  t.match(ran, { imageId: `sha256:${'d'.repeat(64)}`, imageDigest: digest })
  t.equal(ran.pullProgress, undefined)
  t.equal(instanceRecord({ ...base, imageDigest: digest, memo: { ...emptyMemo(), error: 'e' } })!.imageDigest, undefined, 'no container, no image to speak of')
})
