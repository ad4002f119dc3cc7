import t from 'tap'
import { appRefProblems, isDnsLabel, isHostId, isName, nameProblem } from './names.js'

t.test('app and manifest names: lowercase DNS labels without "--"', async t => {
  for (const ok of ['a', 'dummy', 'nginx', 'web-2', '0', 'a'.repeat(63), 'x-y-z']) t.ok(isName(ok), ok)
  const bad = ['', 'VICTIM', 'Victim', '..', '.', 'a/b', 'a\u0000b', 'a\nb', 'caf\u00e9', 'a'.repeat(64), '-a', 'a-', 'a--b', 'a---b',
    'a_b', 'a.b', ' a', 'a ', '%2e%2e', 'x'.repeat(400)]
  for (const b of bad) t.notOk(isName(b), JSON.stringify(b))
  t.notOk(isName(5))
  t.notOk(isName(undefined))
})

t.test('service labels allow "--"; host ids allow case, dots and underscores', async t => {
  t.ok(isDnsLabel('a--b'))
  t.notOk(isDnsLabel('A'))
  t.ok(isHostId('Host-1.lab_x'))
  t.notOk(isHostId('a/b'))
  t.notOk(isHostId(''))
})

t.test('the problem names the field, shows the value and says the rule', async t => {
  t.equal(nameProblem('app', 'web'), undefined)
  const p = nameProblem('app', 'VICTIM')
  t.equal(p?.path, '/app')
  t.match(p?.message, /app "VICTIM" is not allowed: use a lowercase DNS label/)
  t.match(nameProblem('name', 'x'.repeat(400))?.message, /…"/, 'a long value is cut')
  t.same(appRefProblems('ok', 'fine'), [])
  t.same(appRefProblems('A', 'B').map(e => e.path), ['/app', '/name'])
})

t.test('manifest names the API\'s routes take are refused as names, not as apps', async t => {
  for (const reserved of ['volumes', 'secrets', 'configs']) {
    t.match(nameProblem('name', reserved), { path: '/name', message: new RegExp(`name "${reserved}" is reserved: /apps/<app>/${reserved} is the app's ${reserved} in the API; pick another name`) })
    t.equal(nameProblem('app', reserved), undefined, `an app may be called ${reserved}`)
  }
  t.equal(nameProblem('name', 'secrets-app'), undefined)
})
