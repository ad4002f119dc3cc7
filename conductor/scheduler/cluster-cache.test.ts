import { Writable } from 'node:stream'
import { pino, type Logger } from 'pino'
import t from 'tap'
import { KeyLayout } from '../../schemas/index.js'
import { ClusterCache } from './cluster-cache.js'

const keys = new KeyLayout('/c')
const kv = (value: unknown, modRevision: number, createRevision?: number) =>
  ({ value: typeof value === 'string' ? value : JSON.stringify(value), modRevision, ...(createRevision ? { createRevision } : {}) })
const instance = { host: 'h1', hostAddress: '10.0.0.1', containerId: 'c', containerName: 'a---web', state: 'running', specHash: 's', ports: {}, restarts: 0, updatedAt: 'now' }
const status = { phase: 'Running', desired: 1, running: 1, revision: 7, errors: [], problems: [], lastEvent: { at: 'now', message: 'm' }, updatedAt: 'now' }

/** A logger whose lines the test can read. */
function capture(): { log: Logger; lines: { msg: string; key?: string }[] } {
  const lines: { msg: string; key?: string }[] = []
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(chunk.toString())); done() } })
  return { log: pino({ level: 'debug' }, sink) as Logger, lines }
}

t.test('turns the keys it keeps into the planner input', async t => {
  const cache = new ClusterCache(keys)
  cache.put('/c/apps/a/web/manifest', kv('{"image": "x"}', 7, 3))
  cache.put('/c/apps/a/web/control', kv({ state: 'stopped' }, 8))
  cache.put('/c/apps/a/web/status', kv(status, 9))
  cache.put('/c/hosts/h1', kv({ id: 'ignored', labels: { zone: 'eu' }, cpus: 2, memory: 10 }, 3))
  cache.put('/c/hosts/h2', kv('not json', 4))
  cache.put('/c/assign/h1/a/web/0', kv({ spec: { image: 'x' }, specHash: 's', revision: 7 }, 10))
  cache.put('/c/assign/h1/a/web/1', kv({ nonsense: true }, 11))
  cache.put('/c/instances/a/web/0', kv(instance, 12))
  cache.put('/c/config/policy', kv({ allowHostNetwork: true }, 13))
  cache.put('/c/owners/a', kv({ user: 'alice', createdAt: 'now' }, 14))
  t.notOk(cache.put('/c/apps/a/web/other', kv('x', 15)), 'keys the scheduler does not read are ignored')
  const input = cache.toInput(1000)
  t.match(input.manifests, [{ app: 'a', name: 'web', text: '{"image": "x"}', revision: 7, createRevision: 3, checked: { result: { ok: true } } }])
  t.same(input.controls.get('a/web'), { state: 'stopped' })
  t.same(input.statuses.get('a/web'), status)
  t.match(input.hosts.find(h => h.id === 'h1'), { id: 'h1', labels: { zone: 'eu' }, cpus: 2 })
  t.match(input.hosts.find(h => h.id === 'h2'), { id: 'h2', labels: {}, cpus: 0, memory: 0 }, 'an unreadable host record still counts as alive')
  t.same([...input.unplaceable!].sort(), ['h1', 'h2'], 'but takes no instances (h1 lacks its address, h2 is not JSON)')
  t.same(input.assignments.map(a => [a.index, a.value === undefined]), [[0, false], [1, true]])
  t.equal(input.instances.get('a/web/0')?.state, 'running')
  t.same(input.policy, { allowHostNetwork: true })
  t.same([...input.owners!], [['a', 'alice']])
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

t.test('records of the wrong shape are skipped and logged once, not on every pass or reload', async t => {
  const { log, lines } = capture()
  const cache = new ClusterCache(keys, log)
  const junk: [string, string][] = [
    ['/c/apps/a/web/control', '{"state":"sleeping"}'],
    ['/c/apps/a/web/status', '[1,2,3]'],
    ['/c/instances/a/web/0', '{"host":"h1","state":"dancing"}'],
    ['/c/assign/h1/a/web/0', '{"spec":{"image":"../../etc/passwd"},"specHash":"s","revision":1}'],
    ['/c/owners/a', 'null'],
    ['/c/hosts/h1', '"a string"'],
  ]
  for (const [k, v] of junk) cache.put(k, kv(v, 40))
  const input = cache.toInput(0)
  t.equal(input.controls.size + input.statuses.size + input.instances.size + input.owners!.size, 0, 'skipped')
  t.same(input.assignments.map(a => a.value), [undefined], 'an unreadable assignment is there to be replaced')
  t.equal(lines.length, junk.length, 'one line per junk value')
  for (let i = 0; i < 3; i++) {
    cache.toInput(i)
    cache.replacePrefix(keys.apps, new Map(junk.filter(([k]) => k.startsWith(keys.apps)).map(([k, v]) => [k, kv(v, 40)])))
  }
  t.equal(lines.length, junk.length, 'passes and reloads log nothing new')
  cache.put('/c/apps/a/web/control', kv('{"state":"nope"}', 41))
  t.equal(lines.length, junk.length + 1, 'a new junk revision is news')
})

t.test('manifest keys with invalid names: planned as invalid when a status key can be made, else only logged', async t => {
  const { log, lines } = capture()
  const cache = new ClusterCache(keys, log)
  const valid = '{"image":"x"}'
  for (const [app, name] of [['VICTIM', 'web'], ['..', 'web'], ['a--b', 'web'], ['victim', 'web']]) {
    t.ok(cache.put(`/c/apps/${app}/${name}/manifest`, kv(valid, 1)), `${app}/${name} kept`)
  }
  for (const [app, name] of [['a\u0000b', 'web'], ['new\nline', 'web'], ['ünï', 'web'], ['x'.repeat(400), 'web']]) {
    t.notOk(cache.put(`/c/apps/${app}/${name}/manifest`, kv(valid, 1)), `${JSON.stringify(app!.slice(0, 10))} not planned`)
  }
  const input = cache.toInput(0)
  t.same(input.manifests.map(m => `${m.app}/${m.name}`).sort(), ['../web', 'VICTIM/web', 'a--b/web', 'victim/web'])
  t.same(input.manifests.filter(m => !m.checked!.result.ok).map(m => m.app).sort(), ['..', 'VICTIM', 'a--b'])
  const bad = input.manifests.find(m => m.app === 'VICTIM')!.checked!.result
  t.match(bad, { ok: false, errors: [{ path: '/app', message: /app "VICTIM" is not allowed/ }] })
  t.equal(lines.length, 7, 'each invalid name logged once')
  cache.toInput(1)
  cache.replacePrefix(keys.apps, new Map())
  t.equal(lines.length, 7)
})

t.test('the policy: an invalid one keeps the last valid one; its limits re-validate manifests', async t => {
  const { log, lines } = capture()
  const cache = new ClusterCache(keys, log)
  cache.put('/c/apps/a/web/manifest', kv(JSON.stringify({ image: 'x', env: { A: 'y'.repeat(2000) } }), 1))
  t.ok(cache.toInput(0).manifests[0]!.checked!.result.ok)
  cache.put('/c/config/policy', kv({ limits: { bytes: 1000 } }, 2))
  t.match(cache.toInput(0).manifests[0]!.checked!.result, { ok: false, errors: [{ message: /limit is 1000 \(limits\.bytes\)/ }] })
  cache.put('/c/config/policy', kv('{"limits": {"bytes": "small"}}', 3))
  t.same(cache.toInput(0).policy, { limits: { bytes: 1000 } }, 'the last valid policy stays')
  t.match(lines, [{ msg: 'the cluster policy is invalid; keeping the last valid one' }])
  cache.delete('/c/config/policy', 4)
  t.equal(cache.toInput(0).policy, undefined, 'deleted: the defaults')
  t.ok(cache.toInput(0).manifests[0]!.checked!.result.ok)
})

t.test('manifests are read in pages that stay under one gRPC message at the size limit', async t => {
  const cache = new ClusterCache(keys)
  const n = cache.pageSize(keys.apps)!
  t.ok(n * 64 * 1024 < 4 * 1024 * 1024, `${n} manifests of 64 KiB fit in 4 MiB`)
  t.equal(cache.pageSize(keys.instances), undefined, 'other prefixes: the default')
})

t.test('secrets and configs: readable records by app/name; junk counts as missing, logged once by key, never by value', async t => {
  const { log, lines } = capture()
  const cache = new ClusterCache(keys, log)
  t.ok(cache.prefixes().includes('/c/secrets/') && cache.prefixes().includes('/c/configs/'), 'both prefixes are watched')
  const sealed = { alg: 'aes-256-gcm', keyId: '0123456789abcdef', iv: 'aXY=', tag: 'dGFn', data: 'ZGF0YQ==' }
  cache.put('/c/secrets/shop/db-password', kv({ version: 2, createdAt: 'a', updatedAt: 'b', sealed }, 5))
  cache.put('/c/configs/shop/app-config', kv({ version: 1, createdAt: 'a', updatedAt: 'b', data: 'port = 1' }, 6))
  cache.put('/c/secrets/shop/junk', kv({ version: 1, value: 'hunter2' }, 7))
  cache.put('/c/secrets/shop/junk', kv({ version: 1, value: 'hunter2' }, 7))
  cache.put('/c/secrets/Shop/x', kv({}, 8))
  const input = cache.toInput(0)
  t.same([...input.secrets!.keys()], ['shop/db-password'])
  t.equal(input.secrets!.get('shop/db-password')?.version, 2)
  t.same(input.configs!.get('shop/app-config'), { version: 1, createdAt: 'a', updatedAt: 'b', data: 'port = 1' })
  t.equal(lines.filter(l => l.key === '/c/secrets/shop/junk').length, 1, 'junk logged once')
  t.notOk(JSON.stringify(lines).includes('hunter2'), 'never the value')
  t.equal(lines.filter(l => l.key === '/c/secrets/Shop/x').length, 1, 'an invalid app name: a key it cannot use')
})
