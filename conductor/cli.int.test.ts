// dokkaa-conductor as a user runs it: a bad flag (or env var) is one line on stderr naming
// the flag, and exit status 2 — never a stack trace. Every run also gets harmless values
// (an etcd port nobody listens on, a private prefix and host id, no Docker socket), so
// even a flag that were wrongly accepted could not touch this machine's Dokkaa.
import t from 'tap'
import { startTsProcess } from '../test/support/processes.js'

const MAIN = 'conductor/main.ts'
const SAFE = ['--etcd', 'http://127.0.0.1:1', '--prefix', '/t-cli-flags', '--host-id', 'cli-flags-test', '--no-scheduler',
  '--docker', 'unix:///nonexistent/docker.sock', '--agent-listen', 'none', '--ambassador-address', 'none']

t.test('bad flags and env vars: one line naming the flag, exit status 2', async t => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [['--lease-ttl', 'soon'], {}, /^dokkaa-conductor: --lease-ttl: expected an integer from 1 to 3600, got "soon"$/],
    [['--etcd', 'localhost'], {}, /^dokkaa-conductor: --etcd: "localhost" is not an etcd client URL/],
    [['--port-range', '9-1'], {}, /^dokkaa-conductor: --port-range: "9-1": 9 is above 1$/],
    [['--log-level', 'loud'], {}, /^dokkaa-conductor: --log-level: expected one of /],
    [['--no-such-flag'], {}, /^dokkaa-conductor: --no-such-flag: unknown option/],
    [[], { DOKKAA_CONCURRENCY: '0' }, /^dokkaa-conductor: --concurrency: expected an integer from 1 to 256, got "0"$/],
    [[], { DOKKAA_DRAIN_DELAY: 'a while' }, /^dokkaa-conductor: --drain-delay: expected a duration from 0s to 10m like "2s" or "500ms", got "a while"$/],
  ]
  for (const [args, env, message] of cases) {
    const p = startTsProcess(MAIN, [...SAFE, ...args], env, { t })
    const exit = await p.exited
    const what = [...args, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)].join(' ')
    t.equal(exit.code, 2, `${what}: exit 2`)
    t.equal(p.stderr.length, 1, `${what}: one line on stderr`)
    t.match(p.stderr[0], message, what)
    t.same(p.stdout, [], `${what}: nothing on stdout`)
  }
})
