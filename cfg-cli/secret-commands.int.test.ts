// `dokkaacfg secret` and `config` as a user runs them, against a real builder process on
// real etcd (its own key prefix): secrets go in from a file or stdin and come out in no
// output and no log line; configs come back byte for byte. (Split from
// cluster-commands.int.test.ts: each CLI call is a process start, and the two together
// outgrew one test's time on a loaded machine.)
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { builderProcess, tempClusterKey } from '../builder/testing.js'
import { runCli } from './cli-test-support.js'

t.test('secret and config commands against a builder', { timeout: 180_000 }, async t => {
  const keyFile = await tempClusterKey(t)
  const b = await builderProcess(t, { args: ['--cluster-key-file', keyFile, '--log-level', 'info'] })
  const dir = mkdtempSync(join(tmpdir(), 'dokkaacfg-secrets-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const res = await fetch(`${b.url}/api/v1/tokens`, { method: 'POST', headers: { ...b.root, 'content-type': 'application/json' }, body: '{"name":"cli-test"}' })
  const { token } = await res.json() as { token: string }
  const env = { ...process.env, DOKKAA_URL: b.url, DOKKAA_TOKEN: token, DOKKAA_CONFIG: join(dir, 'none.json') }
  const run = (...args: string[]) => runCli(args, env)
  const cli = (args: string[], _env: unknown, input: string) => runCli(args, env, input)
  writeFileSync(join(dir, 'web.json'), JSON.stringify({ image: 'dokkaa/busybox:test', secrets: ['db-password'] }))

  // Secrets go in from a file or stdin and come out nowhere; configs come back as stored.
  const secret = `s3cret-${randomBytes(6).toString('hex')}`
  writeFileSync(join(dir, 'db-password.txt'), secret)
  const created = await run('secret', 'create', 'shop/db-password', '--from-file', join(dir, 'db-password.txt'))
  t.equal(created.status, 0, 'secret create', { stderr: created.stderr })
  t.match(created.stdout, 'shop/db-password: secret version 1 stored (new)')
  const rotated = await cli(['secret', 'create', 'shop/db-password', '--from-stdin'], env, `${secret}-2`)
  t.match(rotated.stdout, 'shop/db-password: secret version 2 stored')
  const sls = await run('secret', 'ls', 'shop')
  t.match(sls.stdout, /NAME\s+VERSION\s+CREATED\s+UPDATED\ndb-password\s+2\s+20/)
  const sjson = await run('--json', 'secret', 'ls', 'shop')
  t.same(Object.keys(JSON.parse(sjson.stdout)[0]).sort(), ['createdAt', 'name', 'updatedAt', 'version'])
  const noValue = await run('secret', 'create', 'shop/x')
  t.equal(noValue.status, 2, 'no --from-file or --from-stdin: usage')
  t.match(noValue.stderr, /exactly one of --from-file <file> or --from-stdin/)
  const seen = [created, rotated, sls, sjson, await run('get', 'shop'), await run('--json', 'get', 'shop')]
  for (const r of seen) t.notMatch(r.stdout + r.stderr, secret, 'no output holds the value')
  const srm = await run('secret', 'rm', 'shop/db-password')
  t.equal(srm.status, 0, 'secret rm', { stderr: srm.stderr })
  t.equal((await run('secret', 'rm', 'shop/db-password')).status, 6, 'gone: not found')
  const toml = 'listen = ":8080"\n'
  writeFileSync(join(dir, 'app.toml'), toml)
  t.equal((await run('config', 'create', 'shop/app-config', '--from-file', join(dir, 'app.toml'))).status, 0, 'config create')
  const cget = await run('config', 'get', 'shop/app-config')
  t.equal(cget.stdout, toml, 'config get prints the text as stored')
  t.match((await run('config', 'ls', 'shop')).stdout, /app-config\s+1\s+/)
  t.equal((await run('config', 'rm', 'shop/app-config')).status, 0, 'config rm')
  await new Promise(r => setTimeout(r, 200))
  t.match(b.proc.output(), /secret written/, 'the builder logged the writes')
  t.notMatch(b.proc.output(), secret, '... without the value')

  // A manifest naming the secret: `get` shows the name, never the value.
  writeFileSync(join(dir, 'db-password.txt'), 'again')
  t.equal((await run('secret', 'create', 'shop/db-password', '--from-file', join(dir, 'db-password.txt'))).status, 0)
  const applied = await run('apply', '-f', join(dir, 'web.json'), '--app', 'shop')
  t.equal(applied.status, 0, 'apply a manifest that names it', { stderr: applied.stderr })
  const got = await run('--json', 'get', 'shop')
  t.match(got.stdout.replace(/\s/g, ''), /"secrets":\["db-password"\]/, 'get shows the manifest naming the secret')
  t.notMatch(got.stdout, 'again', 'never its value')
})
