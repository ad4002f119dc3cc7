// The in-memory copy of /apps and /owners: what reads return after resets and watch events.
import t from 'tap'
import { KeyLayout } from '../../schemas/index.js'
import { AppIndex } from './app-index.js'
import type { Entry } from '../../kit/kv.js'

const keys = new KeyLayout('/ix')
let rev = 0
const entry = (key: string, value: unknown): Entry => ({ key, value: JSON.stringify(value), createRevision: ++rev, modRevision: rev })
const all = (ix: AppIndex) => ix.list(() => true).map(a => [a.app, a.owner, a.manifests.map(m => m.name)])

t.test('a reset builds apps in etcd key order, with owners', async t => {
  const ix = new AppIndex(keys)
  ix.resetApps([
    entry(keys.manifest({ app: 'a', name: 'web' }), { image: 'x' }),
    entry(keys.manifest({ app: 'a-b', name: 'db' }), { image: 'y' }),
    entry(keys.status({ app: 'a', name: 'web' }), { phase: 'Running' }),
    entry(keys.status({ app: 'orphan', name: 'web' }), { phase: 'Gone' }),
    entry(`${keys.apps}a/web/unknown`, 1),
  ])
  ix.resetOwners([entry(keys.owner('a'), { user: 'alice' }), entry(keys.owner('junk'), 'not a record')])
  t.same(all(ix), [['a-b', undefined, ['db']], ['a', 'alice', ['web']]], 'etcd order; a status without a manifest lists nothing')
  t.equal(ix.get({ app: 'a', name: 'web' })?.status?.phase, 'Running')
  t.equal(ix.get({ app: 'orphan', name: 'web' }), undefined)
  t.equal(ix.ownerOf('junk'), undefined)
  t.same(ix.list((_app, owner) => owner === 'alice').map(a => a.app), ['a'])
})

t.test('watch events update views; deletes empty apps away', async t => {
  const ix = new AppIndex(keys)
  ix.resetApps([])
  ix.resetOwners([])
  const ref = { app: 'z', name: 'web' }
  const m = entry(keys.manifest(ref), { image: 'x', scale: 1 })
  ix.applyApp({ type: 'put', key: m.key, value: m.value, modRevision: m.modRevision, createRevision: m.createRevision })
  ix.applyOwner({ type: 'put', key: keys.owner('z'), value: JSON.stringify({ user: 'bob' }), modRevision: ++rev })
  ix.applyApp({ type: 'put', key: `${keys.apps}b/web/manifest`, value: '{"image":"y"}', modRevision: ++rev, createRevision: rev })
  const first = ix.get(ref)
  t.same(first?.manifest, { image: 'x', scale: 1 })
  t.equal(first?.createdRevision, m.createRevision)
  t.equal(ix.get(ref), first, 'a view is built once until its parts change')
  ix.applyApp({ type: 'put', key: keys.control(ref), value: JSON.stringify({ state: 'stopped' }), modRevision: ++rev, createRevision: rev })
  t.equal(ix.get(ref)?.control?.state, 'stopped')
  t.same(all(ix), [['b', undefined, ['web']], ['z', 'bob', ['web']]], 'sorted again after a watch added an app')
  ix.applyApp({ type: 'delete', key: keys.manifest(ref), modRevision: ++rev })
  t.equal(ix.get(ref), undefined)
  ix.applyApp({ type: 'delete', key: keys.control(ref), modRevision: ++rev })
  ix.applyOwner({ type: 'delete', key: keys.owner('z'), modRevision: ++rev })
  t.same(all(ix), [['b', undefined, ['web']]])
  t.equal(ix.ownerOf('z'), undefined)
  ix.applyApp({ type: 'delete', key: keys.status({ app: 'never', name: 'x' }), modRevision: ++rev })
  t.same(all(ix), [['b', undefined, ['web']]], 'a delete of something unknown changes nothing')
})

t.test('junk is skipped and reported once per value; bad names are never apps', async t => {
  const reported: string[] = []
  const ix = new AppIndex(keys, (key, why) => reported.push(`${key.slice(keys.apps.length - 5)} ${why.split(':')[0]}`))
  const deep = '['.repeat(5000) + ']'.repeat(5000)
  ix.resetApps([
    entry(keys.manifest({ app: 'ok', name: 'web' }), { image: 'x' }),
    { ...entry(keys.status({ app: 'ok', name: 'web' }), null), value: deep },
    { ...entry(keys.manifest({ app: 'junk', name: 'web' }), null), value: 'not json' },
    entry(`${keys.apps}VICTIM/web/manifest`, { image: 'x' }),
    entry(`${keys.apps}a--b/web/manifest`, { image: 'x' }),
  ])
  ix.resetOwners([{ ...entry(keys.owner('ok'), null), value: deep }])
  t.same(ix.list(() => true).map(a => [a.app, a.manifests[0]!.manifest]), [['junk', null], ['ok', { image: 'x' }]], 'bad names are not apps')
  t.equal(ix.get({ app: 'ok', name: 'web' })?.status, undefined)
  ix.list(() => true)
  t.equal(reported.length, 5, 'each value once')
  t.match(reported.join('\n'), /VICTIM\/web\/manifest app or name breaks the naming rule/)
  t.match(reported.join('\n'), /junk\/web\/manifest not a JSON object/)
  t.match(reported.join('\n'), /ok\/web\/status not a status record/)
})
