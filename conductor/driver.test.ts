// The driver's naming against a fake engine: the canonical name when free; beside the
// instance's own old container (start-first); the shared-engine fallback when another
// host's container holds the name; our container already there is reused; a rename takes
// the canonical name, else the fallback. And a graceful step's Docker part gets its grace.
import { pino } from 'pino'
import t from 'tap'
import type { ContainerSpec } from '../schemas/index.js'
import { containerName } from '../schemas/index.js'
import { instanceLabels } from './container-options.js'
import type { ContainerCreate, ContainerDetail, DockerEngine } from './docker-engine.js'
import { Driver } from './driver.js'
import { ConductorError } from './errors.js'
import type { DesiredInstance } from './model.js'

const log = pino({ level: 'silent' })
const ref = { app: 'a', name: 'web', index: 0 }
const spec: ContainerSpec = { image: 'busybox', restart: 'always', services: {}, stopGracePeriod: '3s' }
const want = (specHash: string): DesiredInstance => ({ ref, spec, specHash, run: 'running', restartGeneration: 0 })

function fakeEngine() {
  const byName = new Map<string, { id: string; labels: Record<string, string> }>()
  const calls: string[] = []
  let n = 0
  const conflict = (what: string) => new ConductorError('DKA_CONDUCTOR_DOCKER_CONFLICT', `${what}: name in use`)
  const engine = {
    async create(c: ContainerCreate) {
      if (byName.has(c.name)) throw conflict(`create ${c.name}`)
      byName.set(c.name, { id: `id${n++}`, labels: c.labels })
      calls.push(`create ${c.name}`)
      return byName.get(c.name)!.id
    },
    async inspect(name: string) {
      const c = byName.get(name)
      return c && { id: c.id, name, labels: c.labels, state: 'running', createdAt: 1, hostPorts: {}, networkMode: 'bridge' } satisfies ContainerDetail
    },
    async rename(id: string, name: string) {
      if (byName.has(name)) throw conflict(`rename ${id}`)
      const [old] = [...byName].find(([, c]) => c.id === id)!
      byName.set(name, byName.get(old)!)
      byName.delete(old)
      calls.push(`rename ${id} ${name}`)
    },
    async imageExists() { return true },
    async start(id: string) { calls.push(`start ${id}`) },
    async unpause(id: string) { calls.push(`unpause ${id}`) },
    async stop(id: string, t?: number) { calls.push(`stop ${id} t=${t}`) },
    async restart(id: string, t?: number) { calls.push(`restart ${id} t=${t}`) },
    async remove(id: string) { calls.push(`remove ${id}`) },
  }
  return { engine: engine as unknown as DockerEngine, byName, calls }
}

const host = { hostId: 'h1', hostAddress: '10.0.0.5', domain: 'dokkaa.local', network: 'bridge' }
const ours = (specHash: string, hostId = 'h1') => ({ id: `old-${hostId}-${specHash}`, labels: instanceLabels(spec, specHash, ref, hostId) })

t.test('create: canonical; beside our old container; the fallback beside another host\'s; ours reused', async t => {
  const f = fakeEngine()
  const d = new Driver({ engine: f.engine, host })
  await d.apply({ kind: 'create', ref, desired: want('s1') }, log)
  t.ok(f.byName.has('a---web'), 'the canonical name')
  await d.apply({ kind: 'create', ref, desired: want('s2') }, log)
  t.ok(f.byName.has('a---web--next-s2'), 'beside the old one, whose spec is another')
  const before = f.calls.length
  await d.apply({ kind: 'create', ref, desired: want('s2') }, log)
  t.same(f.calls.slice(before), ['start id1'], 'the one already there on this spec is ours: started, not made again')

  const shared = fakeEngine()
  shared.byName.set('a---web', ours('s1', 'h2'))
  shared.byName.set('a---web.h1', ours('s1'))
  await new Driver({ engine: shared.engine, host }).apply({ kind: 'create', ref, desired: want('s2') }, log)
  t.ok(shared.byName.has('a---web.h1--next-s2'), 'another host holds the name: our fallback, and beside our old one there')
})

t.test('rename: the canonical name, else the fallback; neither: an error', async t => {
  const f = fakeEngine()
  f.byName.set('a---web--next-s2', { id: 'new', labels: {} })
  const d = new Driver({ engine: f.engine, host })
  await d.apply({ kind: 'rename', ref, containerId: 'new' }, log)
  t.equal(f.byName.get(containerName(ref))?.id, 'new')
  const g = fakeEngine()
  g.byName.set('x', { id: 'new', labels: {} })
  g.byName.set('a---web', { id: 'theirs', labels: {} })
  await new Driver({ engine: g.engine, host }).apply({ kind: 'rename', ref, containerId: 'new' }, log)
  t.equal(g.byName.get('a---web.h1')?.id, 'new', 'the fallback')
  g.byName.set('y', { id: 'other', labels: {} })
  await t.rejects(new Driver({ engine: g.engine, host }).apply({ kind: 'rename', ref, containerId: 'other' }, log), /both taken/)
})

t.test('graceful steps: Docker stops with the grace period in whole seconds (rounded up)', async t => {
  const f = fakeEngine()
  const d = new Driver({ engine: f.engine, host })
  await d.apply({ kind: 'retire', ref, containerId: 'c', reason: 'unassigned' }, log, 2500)
  await d.apply({ kind: 'stop', ref, containerId: 'c' }, log)
  await d.apply({ kind: 'restart', ref, containerId: 'c', generation: 1, reason: 'generation' }, log, 10_000)
  t.same(f.calls, ['unpause c', 'stop c t=3', 'remove c', 'unpause c', 'stop c t=undefined', 'restart c t=10'])
})

t.test('a bind whose host directory is missing: the create fails with Docker\'s message and the volume it is', async t => {
  const f = fakeEngine()
  const docker = 'create container a---web: invalid mount config for type "bind": bind source path does not exist: /srv/logs'
  f.engine.create = async () => { throw new ConductorError('DKA_CONDUCTOR_DOCKER_ERROR', docker) }
  const d = want('s1')
  const logs: DesiredInstance = { ...d, spec: { ...d.spec, volumes: { logs: { path: '/logs', hostPath: '/srv/logs' } } } }
  const err = await new Driver({ engine: f.engine, host }).apply({ kind: 'create', ref, desired: logs }, log).then(() => undefined, (e: unknown) => e as ConductorError)
  t.equal(err?.code, 'DKA_CONDUCTOR_DOCKER_ERROR')
  t.equal(err?.message, `${docker} (volume "logs": its hostPath /srv/logs must exist on host h1; create it there, the instance is retried)`)
})

t.test('secrets and configs: their bind mounts in the create; files swept after a removal; a start whose files are gone removes the container', async t => {
  const f = fakeEngine()
  const creates: ContainerCreate[] = []
  const create = f.engine.create.bind(f.engine)
  f.engine.create = async c => { creates.push(c); return create(c) }
  const calls: string[] = []
  const mounts = [{ type: 'bind' as const, source: '/run/x/secrets', target: '/run/secrets', readOnly: true }]
  const values = {
    async prepare() { calls.push('prepare'); return mounts },
    created() { calls.push('created') },
    async sweep() { calls.push('sweep'); return [] },
    holds: (m: string) => m.includes('/run/x/'),
  }
  const d = new Driver({ engine: f.engine, host, values: values as never })
  const withSecrets: DesiredInstance = { ...want('s1'), spec: { ...spec, secrets: ['pw'] } }
  await d.apply({ kind: 'create', ref, desired: withSecrets }, log)
  t.same(calls, ['prepare', 'created'])
  t.same(creates[0]?.mounts, mounts)
  t.notOk(creates[0]?.env.some(e => e.includes('pw')), 'nothing in the env')
  await d.apply({ kind: 'remove', ref, containerId: 'id0', reason: 'unassigned' }, log)
  t.same(calls.slice(2), ['sweep'])

  f.engine.start = async () => { throw new ConductorError('DKA_CONDUCTOR_DOCKER_ERROR', 'start: bind source path does not exist: /run/x/secrets') }
  await d.apply({ kind: 'start', ref, containerId: 'id0', reason: 'exited' } as never, log)
  t.match(f.calls.slice(-1), ['remove id0'], 'removed, to be made again with its files')

  const bare = new Driver({ engine: f.engine, host })
  await t.rejects(bare.apply({ kind: 'create', ref, desired: withSecrets }, log), { code: 'DKA_CONDUCTOR_SECRET_FILES' })
})
