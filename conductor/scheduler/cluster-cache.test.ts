import t from 'tap'
import { KeyLayout } from '../../schemas/index.js'
import { ClusterCache } from './cluster-cache.js'

const keys = new KeyLayout('/c')
const kv = (value: unknown, modRevision: number) => ({ value: typeof value === 'string' ? value : JSON.stringify(value), modRevision })

t.test('turns the keys it keeps into the planner input', async t => {
  const cache = new ClusterCache(keys)
  cache.put('/c/apps/a/web/manifest', kv('{"image": "x"}', 7))
  cache.put('/c/apps/a/web/control', kv({ state: 'stopped' }, 8))
  cache.put('/c/apps/a/web/status', kv({ phase: 'Running' }, 9))
  cache.put('/c/hosts/h1', kv({ id: 'ignored', labels: { zone: 'eu' }, cpus: 2, memory: 10 }, 3))
  cache.put('/c/hosts/h2', kv('not json', 4))
  cache.put('/c/assign/h1/a/web/0', kv({ spec: { image: 'x' }, specHash: 's', revision: 7 }, 10))
  cache.put('/c/assign/h1/a/web/1', kv({ nonsense: true }, 11))
  cache.put('/c/instances/a/web/0', kv({ host: 'h1', state: 'running', specHash: 's' }, 12))
  cache.put('/c/config/policy', kv({ allowHostNetwork: true }, 13))
  t.notOk(cache.put('/c/apps/a/web/other', kv('x', 14)), 'keys the scheduler does not read are ignored')
  const input = cache.toInput(1000)
  t.same(input.manifests, [{ app: 'a', name: 'web', text: '{"image": "x"}', revision: 7 }])
  t.same(input.controls.get('a/web'), { state: 'stopped' })
  t.same(input.statuses.get('a/web'), { phase: 'Running' })
  t.match(input.hosts.find(h => h.id === 'h1'), { id: 'h1', labels: { zone: 'eu' }, cpus: 2 })
  t.match(input.hosts.find(h => h.id === 'h2'), { id: 'h2', labels: {}, cpus: 0, memory: 0 }, 'an unreadable host record still counts as alive')
  t.same(input.assignments.map(a => [a.index, a.value === undefined]), [[0, false], [1, true]])
  t.equal(input.instances.get('a/web/0')?.state, 'running')
  t.same(input.policy, { allowHostNetwork: true })
  t.equal(input.now, 1000)
})

t.test('stale events do not undo newer values', async t => {
  const cache = new ClusterCache(keys)
  t.ok(cache.put('/c/hosts/h1', kv({ cpus: 1 }, 20)))
  t.notOk(cache.put('/c/hosts/h1', kv({ cpus: 2 }, 19)), 'older put ignored')
  t.notOk(cache.put('/c/hosts/h1', kv({ cpus: 1 }, 21)), 'same value: nothing changed')
  t.notOk(cache.delete('/c/hosts/h1', 21), 'a delete older than the value ignored')
  t.ok(cache.delete('/c/hosts/h1', 22))
  t.ok(cache.put('/c/apps/a/b/manifest', kv('{}', 5)))
  t.ok(cache.put('/c/apps/a/b/manifest', kv('{}', 6)), 'a manifest put again unchanged has a new revision')
  cache.replacePrefix(keys.apps, new Map([['/c/apps/a/c/manifest', kv('{}', 30)]]))
  t.same(cache.toInput(0).manifests.map(m => m.name), ['c'])
})
