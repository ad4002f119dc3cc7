import t from 'tap'
import { parseV2Path } from './v2-shape.js'

t.test('v2 paths: manifests, directories, and names checked by the rule', async t => {
  t.same(parseV2Path('/apps/dummy/nginx/manifest'), { kind: 'manifest', ref: { app: 'dummy', name: 'nginx' } })
  t.same(parseV2Path('/apps//dummy/nginx/manifest/'), { kind: 'manifest', ref: { app: 'dummy', name: 'nginx' } }, 'empty segments are dropped')
  t.same(parseV2Path('/apps'), { kind: 'root' })
  t.same(parseV2Path('/apps/dummy'), { kind: 'app', app: 'dummy' })
  t.same(parseV2Path('/apps/dummy/nginx'), { kind: 'name', ref: { app: 'dummy', name: 'nginx' } })
  t.same(parseV2Path('/hosts/h1'), { kind: 'other' })
  t.same(parseV2Path('/apps/dummy/nginx/status'), { kind: 'other' })
  t.same(parseV2Path('/apps/a/b/c/manifest'), { kind: 'other' })
  for (const bad of ['/apps/../web/manifest', '/apps/shop/../manifest', '/apps/Shop', '/apps/a--b/web', '/apps/shop/w\u0000b/manifest', `/apps/${'a'.repeat(64)}`, '/apps/./web/manifest', '/apps/sh\u00f6p/web/manifest']) {
    const p = parseV2Path(bad)
    t.equal(p.kind, 'invalid', JSON.stringify(bad))
    if (p.kind === 'invalid') t.match(p.errors[0]!.message, /lowercase DNS label/)
  }
})
