// `dokkaacfg registry login|ls|logout` as a user runs them, against a real builder process on
// real etcd (its own key prefix): the password goes in on stdin only, lands sealed for its
// host, and comes out in no output and no log line; only an admin may use the commands.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { readClusterKey } from '../kit/secret-box.js'
import { readRegistryRecord, registryAad } from '../schemas/index.js'
import { builderProcess, tempClusterKey } from '../builder/testing.js'
import { runCli } from './cli-test-support.js'

t.test('registry login, ls, logout against a builder', { timeout: 180_000 }, async t => {
  const keyFile = await tempClusterKey(t)
  const b = await builderProcess(t, { args: ['--cluster-key-file', keyFile, '--log-level', 'info'] })
  const tokenFor = async (authorization: string) => {
    const res = await fetch(`${b.url}/api/v1/tokens`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: '{"name":"cli-test"}' })
    return (await res.json() as { token: string }).token
  }
  const envFor = (token: string) => ({ ...process.env, DOKKAA_URL: b.url, DOKKAA_TOKEN: token, DOKKAA_CONFIG: '/nonexistent/credentials.json' })
  const root = envFor(await tokenFor(b.root.authorization))
  const bob = envFor((await b.user('bob')).authorization.replace(/^Bearer /, ''))
  const run = (args: string[], input?: string, env = root) => runCli(args, env, input)
  const password = `reg-${randomBytes(6).toString('hex')}`

  const login = await run(['registry', 'login', 'localhost:5000', '--username', 'ci', '--password-stdin'], `${password}\n`)
  t.equal(login.status, 0, 'registry login', { stderr: login.stderr })
  t.equal(login.stdout, 'localhost:5000: credentials of ci stored (new); conductors pull from localhost:5000 with them\n')
  const stored = readRegistryRecord((await b.kv.get(b.keys.registry('localhost:5000')))!.value)!
  t.equal(readClusterKey(keyFile).open(stored.sealed, registryAad('localhost:5000')).toString(), password, 'sealed for its host, the trailing newline dropped')
  const replaced = await run(['registry', 'login', 'localhost:5000', '-u', 'ci2', '--password-stdin'], `${password}-2`)
  t.match(replaced.stdout, 'localhost:5000: credentials of ci2 stored (replaced)')
  t.equal((await run(['registry', 'login', 'docker.io', '--username', 'hub', '--password-stdin'], 'tok')).status, 0, 'Docker Hub')

  const [ls, lsJson] = await Promise.all([run(['registry', 'ls']), run(['registry', 'ls', '--json'])])
  t.match(ls.stdout, /^HOST\s+USERNAME\s+UPDATED\ndocker\.io\s+hub\s+20\S+\nlocalhost:5000\s+ci2\s+20\S+\n$/, 'a table by host')
  t.same(JSON.parse(lsJson.stdout).map((r: object) => Object.keys(r).sort()), [['createdAt', 'host', 'updatedAt', 'username'], ['createdAt', 'host', 'updatedAt', 'username']], '--json: host, username and dates only')

  // Refused before any request: no --password-stdin, a password argument, a host that is none.
  const [noStdin, onArgs, badHost] = await Promise.all([
    run(['registry', 'login', 'localhost:5000', '--username', 'ci']),
    run(['registry', 'login', 'localhost:5000', '--username', 'ci', '--password', password]),
    run(['registry', 'login', 'Registry.Example.com', '--username', 'ci', '--password-stdin'], 'x'),
  ])
  t.equal(noStdin.status, 2, 'no --password-stdin: usage')
  t.match(noStdin.stderr, /error: pass --password-stdin and the password on stdin/)
  t.equal(onArgs.status, 2, 'a password argument: usage')
  t.match(onArgs.stderr, /ends up in shell history and `ps`: pass it on stdin with --password-stdin/)
  t.equal(badHost.status, 2, 'a host that is none: usage')
  t.match(badHost.stderr, /is not a registry address: use the host\[:port\]/)

  // Not an admin: refused by the builder, an authentication exit status.
  const refused = await Promise.all([['registry', 'ls'], ['registry', 'logout', 'docker.io'], ['registry', 'login', 'docker.io', '-u', 'bob', '--password-stdin']].map(args => run(args, 'x', bob)))
  for (const r of refused) {
    t.equal(r.status, 7, 'not an admin: exit 7')
    t.match(r.stderr, /not allowed: only an admin manages registry credentials/)
  }

  const logout = await run(['registry', 'logout', 'docker.io'])
  t.equal(logout.status, 0, 'registry logout', { stderr: logout.stderr })
  t.equal(logout.stdout, 'docker.io: credentials removed\n')
  t.equal((await run(['registry', 'logout', 'docker.io'])).status, 6, 'gone: not found')
  t.match((await run(['registry', 'ls'])).stdout, /^HOST\s+USERNAME\s+UPDATED\nlocalhost:5000\s+ci2\s+\S+\n$/)

  for (const r of [login, replaced, ls, lsJson, noStdin, onArgs, badHost, ...refused]) t.notMatch(r.stdout + r.stderr, password, 'no output holds the password')
  await new Promise(r => setTimeout(r, 200))
  t.match(b.proc.output(), /registry credentials written/, 'the builder logged the writes')
  t.notMatch(b.proc.output(), password, '... without the password')
})
