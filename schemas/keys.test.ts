import t from 'tap'
import { KeyLayout, skydnsLeaf } from './keys.js'
import { containerName, instanceFromLabels, LABELS } from './labels.js'
import { specHash } from './spec-hash.js'

t.test('default layout keeps the seed path', async t => {
  const k = new KeyLayout()
  t.equal(k.manifest({ app: 'dummy', name: 'nginx' }), '/apps/dummy/nginx/manifest')
  t.equal(k.skydns('dummy', 'nginx', skydnsLeaf({ app: 'dummy', name: 'nginx', index: 0 })), '/skydns/local/dokkaa/dummy/nginx/nginx-0')
})

t.test('keys parse back into references, under a prefix', async t => {
  const k = new KeyLayout('/t1')
  t.same(k.parseManifest(k.manifest({ app: 'a', name: 'b' })), { app: 'a', name: 'b' })
  t.equal(k.parseManifest(k.status({ app: 'a', name: 'b' })), undefined)
  t.same(k.parseAssignment(k.assignment('h1', { app: 'a', name: 'b', index: 2 })), { host: 'h1', app: 'a', name: 'b', index: 2 })
  t.same(k.parseInstance(k.instance({ app: 'a', name: 'b', index: 3 })), { app: 'a', name: 'b', index: 3 })
  t.equal(k.parseHost(k.host('h9')), 'h9')
  t.same(k.parsePort(k.port('a', 'web')), { app: 'a', service: 'web' })
  t.equal(new KeyLayout('/t2').parseManifest(k.manifest({ app: 'a', name: 'b' })), undefined)
  t.throws(() => new KeyLayout('/bad/'))
})

t.test('container names and labels', async t => {
  t.equal(containerName({ app: 'dummy', name: 'nginx', index: 0 }), 'dummy---nginx')
  t.equal(containerName({ app: 'dummy', name: 'nginx', index: 2 }), 'dummy---nginx---2')
  t.same(instanceFromLabels({ [LABELS.app]: 'a', [LABELS.name]: 'b', [LABELS.instance]: '1', [LABELS.host]: 'h', [LABELS.spec]: 's' }),
    { app: 'a', name: 'b', index: 1, host: 'h', spec: 's' })
  t.equal(instanceFromLabels({ foo: 'bar' }), undefined)
  t.equal(instanceFromLabels(undefined), undefined)
})

t.test('spec hash ignores key order but not content', async t => {
  const a = specHash({ image: 'x', restart: 'always', services: {}, env: { A: '1', B: '2' } })
  const b = specHash({ env: { B: '2', A: '1' }, services: {}, restart: 'always', image: 'x' })
  const c = specHash({ image: 'y', restart: 'always', services: {}, env: { A: '1', B: '2' } })
  t.equal(a, b)
  t.not(a, c)
})
