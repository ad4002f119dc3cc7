// dokkaa-builder as a user runs it: the real process, its flags and DOKKAA_* env vars, its
// exit statuses. A bad flag is one line naming it and exit status 2 — never a stack trace.
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { testEtcd } from '../test/support/etcd.js'
import { startTsProcess } from '../test/support/processes.js'

const MAIN = 'builder/main.ts'

t.test('bad flags: a sentence naming the flag, exit status 2', async t => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [['--listen', 'x:99999'], {}, /^dokkaa-builder: --listen: "x:99999" is not host:port, like 127.0.0.1:8080$/],
    [['--etcd', 'localhost:2379'], {}, /^dokkaa-builder: --etcd: "localhost:2379" is not an etcd client URL/],
    [['--prefix', 'x/'], {}, /^dokkaa-builder: --prefix: /],
    [['--log-level', 'loud'], {}, /^dokkaa-builder: --log-level: "loud" is not one of/],
    [[], { DOKKAA_LISTEN: 'nowhere:port' }, /^dokkaa-builder: --listen: "nowhere:port" is not host:port/],
    [['--no-such-flag'], {}, /unknown option '--no-such-flag'/],
  ]
  for (const [args, env, message] of cases) {
    const p = startTsProcess(MAIN, args, env, { t })
    const exit = await p.exited
    const what = `${JSON.stringify(env)} ${args.join(' ')}`
    t.equal(exit.code, 2, what)
    t.match(p.stderr.join('\n'), message, what)
    t.equal(p.stderr.length, 1, `one line: ${p.output()}`)
    t.notMatch(p.output(), /\n\s+at /, 'no stack trace')
  }
})

t.test('etcd not answering at start: one line, exit status 1', async t => {
  const p = startTsProcess(MAIN, ['--etcd', 'http://127.0.0.1:1', '--prefix', '/t-nowhere', '--listen', '127.0.0.1:0', '--password-file', join(tmpdir(), 'dokkaa-never-written')], {}, { t })
  t.equal((await p.exited).code, 1)
  t.match(p.stderr.join('\n'), /^dokkaa-builder: cannot reach etcd at http:\/\/127\.0\.0\.1:1: /)
  t.notMatch(p.output(), /\n\s+at /, 'no stack trace')
})

t.test('flags from DOKKAA_* env vars; an address in use is a --listen error, exit status 2', async t => {
  const etcd = testEtcd(t)
  const dir = await mkdtemp(join(tmpdir(), 'dokkaa-builder-cli-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const env = { DOKKAA_ETCD: etcd.hosts.join(','), DOKKAA_PREFIX: etcd.prefix, DOKKAA_DATA_DIR: dir, DOKKAA_LOG_LEVEL: 'warn' }

  const taken = createServer()
  await new Promise<void>(r => taken.listen(0, '127.0.0.1', r))
  t.teardown(() => taken.close())
  const port = (taken.address() as { port: number }).port
  const busy = startTsProcess(MAIN, ['--listen', `127.0.0.1:${port}`], env, { t })
  t.equal((await busy.exited).code, 2)
  t.match(busy.stderr.join('\n'), new RegExp(`^dokkaa-builder: --listen: cannot listen on 127.0.0.1:${port}: .*EADDRINUSE`))
  t.notMatch(busy.output(), /\n\s+at /, 'no stack trace')

  const p = startTsProcess(MAIN, [], { ...env, DOKKAA_LISTEN: '127.0.0.1:0' }, { t })
  const line = await p.waitForLine(/console at http/, { timeoutMs: 60_000 })
  t.match(line, /console at http:\/\/127\.0\.0\.1:\d+\/console\//, 'served where DOKKAA_LISTEN said')
  t.ok(p.lines.some(l => l.includes(`user "root" exists; its generated password was written to ${join(dir, 'generated_password.txt')}`)), 'DOKKAA_DATA_DIR and DOKKAA_PREFIX: the root the first start made')
  t.equal((await p.stop('SIGTERM')).code, 0)
})
