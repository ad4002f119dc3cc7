import t from 'tap'
import { KeyLayout } from '../../schemas/index.js'
import { MemoryKv } from '../../test/support/memory-kv.js'
import { waitFor } from '../../test/support/wait-for.js'
import { watchTlsWants } from './tls-wants.js'

const keys = new KeyLayout('/p')
const web = (tls: boolean, extra = {}) => JSON.stringify({ image: 'x', services: { www: { port: 80, role: 'web', ...(tls ? { tls: 'auto' } : {}) }, db: 5432 }, ...extra })

t.test('the names web services with "tls": "auto" are served at; an invalid manifest keeps its last valid wish', async t => {
  const kv = new MemoryKv()
  await kv.put(keys.manifest({ app: 'shop', name: 'web' }), web(true))
  await kv.put(keys.manifest({ app: 'blog', name: 'web' }), web(false))
  await kv.put(keys.status({ app: 'shop', name: 'web' }), '{"phase": "Running", "tls": "auto"}')
  let changes = 0
  const wants = await watchTlsWants(kv, keys, () => changes++, () => {})
  t.teardown(() => wants.stop())
  t.same([...wants.names('dokkaa.local')], ['shop.dokkaa.local', 'www.shop.dokkaa.local'], 'statuses and plain web services ask for nothing')
  t.same([...wants.names('apps.example.com')], ['shop.apps.example.com', 'www.shop.apps.example.com'], 'under the ACME config\'s domain')

  await kv.put(keys.manifest({ app: 'shop', name: 'web' }), web(true, { sclae: 2 }))
  await kv.put(keys.manifest({ app: 'blog', name: 'web' }), web(true))
  await waitFor(() => wants.names('d.test').has('blog.d.test'), { what: 'blog wanting tls' })
  t.ok(wants.names('d.test').has('shop.d.test'), 'an invalid new version keeps what the last valid one wanted')

  await kv.delete(keys.manifest({ app: 'shop', name: 'web' }))
  await waitFor(() => !wants.names('d.test').has('shop.d.test'), { what: 'shop gone' })
  t.same([...wants.names('d.test')], ['blog.d.test', 'www.blog.d.test'])
  t.ok(changes >= 3, 'each change of the wanted set was heard')
})

t.test('an invalid manifest read at start keeps its app\'s certificates (its last valid wish is unknown)', async t => {
  const kv = new MemoryKv()
  await kv.put(keys.manifest({ app: 'shop', name: 'web' }), web(true, { sclae: 2 }))
  await kv.put(keys.manifest({ app: 'blog', name: 'web' }), web(false, { sclae: 2 }))
  const wants = await watchTlsWants(kv, keys, () => {}, () => {})
  t.teardown(() => wants.stop())
  t.same([...wants.names('d.test')], [], 'nothing is ordered for it')
  t.ok(wants.keeps('shop.d.test', 'd.test') && wants.keeps('www.shop.d.test', 'd.test'), 'but its certificates are kept')
  t.notOk(wants.keeps('blog.d.test', 'd.test'), 'a manifest that never mentions tls keeps nothing')
  t.notOk(wants.keeps('myshop.d.test', 'd.test'), 'another app whose name ends alike keeps nothing')
  await kv.put(keys.manifest({ app: 'shop', name: 'web' }), web(false))
  await waitFor(() => !wants.keeps('shop.d.test', 'd.test'), { what: 'the fixed manifest to decide' })
  t.same([...wants.names('d.test')], [], 'fixed without tls: nothing wanted, nothing kept')
})
