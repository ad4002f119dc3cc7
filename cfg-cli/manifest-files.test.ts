import t from 'tap'
import { parseManifestText } from './manifest-files.js'
import { UsageError } from './errors.js'

t.test('a bare manifest is named after its file, in --app', async t => {
  t.same(parseManifestText('{"image":"nginx"}', 'dir/nginx.json', 'dummy'), [{ app: 'dummy', name: 'nginx', manifest: { image: 'nginx' }, source: 'dir/nginx.json' }])
  t.throws(() => parseManifestText('{"image":"nginx"}', 'nginx.json'), UsageError, 'without --app it says what to do')
})

t.test('wrapped documents carry their own app and name; YAML may hold several', async t => {
  const y = 'app: shop\nname: web\nmanifest: {image: nginx}\n---\napp: shop\nname: db\nmanifest:\n  image: postgres\n'
  t.same(parseManifestText(y, 'all.yaml').map(d => `${d.app}/${d.name}`), ['shop/web', 'shop/db'])
})

t.test('broken files are usage errors naming the file', async t => {
  t.throws(() => parseManifestText('{', 'a.json', 'x'), { message: /a\.json: invalid JSON/ })
  t.throws(() => parseManifestText('a: [', 'a.yaml', 'x'), { message: /a\.yaml: invalid YAML/ })
  t.throws(() => parseManifestText('42', 'a.yaml', 'x'), { message: /not an object/ })
})
