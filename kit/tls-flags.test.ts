import t from 'tap'
import { FlagError } from './flags.js'
import { allOrNone } from './tls-flags.js'

const FLAGS = { cert: '--tls-cert', key: '--tls-key' }

t.test('none given, or blanks (a unit file\'s unset variables): undefined', async t => {
  t.equal(allOrNone({ cert: undefined, key: undefined }, FLAGS, 'HTTPS'), undefined)
  t.equal(allOrNone({ cert: '', key: '  ' }, FLAGS, 'HTTPS'), undefined)
})

t.test('all given: the values, trimmed', async t => {
  t.same(allOrNone({ cert: ' /p/b.crt', key: '/p/b.key' }, FLAGS, 'HTTPS'), { cert: '/p/b.crt', key: '/p/b.key' })
})

t.test('a partial set names the first missing flag and the fix', async t => {
  t.throws(() => allOrNone({ cert: '/p/b.crt', key: undefined }, FLAGS, 'HTTPS for the console'),
    new FlagError('--tls-key', 'missing: HTTPS for the console needs --tls-cert and --tls-key together; pass --tls-key <file> (or none of them)'))
  t.throws(() => allOrNone({ a: undefined, b: '/x', c: undefined }, { a: '--a', b: '--b', c: '--c' }, 'it'),
    new FlagError('--a', 'missing: it needs --a, --b and --c together; pass --a <file> (or none of them)'))
})
