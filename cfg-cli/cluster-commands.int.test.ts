// The cluster commands as a user runs them, against a real builder on real etcd
// (its own key prefix): login, apply, ls, scale, state, ps, hosts, import --apply,
// delete, and what the user sees when they get something wrong (secrets and configs:
// secret-commands.int.test.ts).
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { testEtcd } from '../test/support/etcd.js'
import { startTsProcess } from '../test/support/processes.js'
import { waitFor } from '../test/support/wait-for.js'
import { KeyLayout } from '../schemas/index.js'
import { nodeEntry } from './local-agents.js'
import { runCli } from './cli-test-support.js'


function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port
      s.close(() => resolve(p))
    }).on('error', reject)
  })
}

const cli = (args: string[], env: Record<string, string>, input?: string) => runCli(args, { ...process.env, ...env }, input)

t.test('cluster commands against a builder', { skip: nodeEntry('builder') ? false : 'no builder yet', timeout: 180_000 }, async t => {
  const etcd = testEtcd(t)
  const dir = mkdtempSync(join(tmpdir(), 'dokkaacfg-cmds-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const port = await freePort()
  const passwordFile = join(dir, 'generated_password.txt')
  const keyFile = join(dir, 'cluster.key')
  writeFileSync(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 })
  const builder = startTsProcess('builder/main.ts', [
    '--etcd', etcd.hosts.join(','), '--prefix', etcd.prefix, '--listen', `127.0.0.1:${port}`,
    '--data-dir', dir, '--log-level', 'info', '--cluster-key-file', keyFile,
  ], {}, { t })
  const url = `http://127.0.0.1:${port}`
  await waitFor(async () => existsSync(passwordFile) && (await fetch(`${url}/api/v1/session`)).ok, { timeoutMs: 60_000, what: 'builder answering' })
  const env = { DOKKAA_CONFIG: join(dir, 'credentials.json'), DOKKAA_URL: '', DOKKAA_TOKEN: '' }
  delete (env as Record<string, string | undefined>).DOKKAA_URL
  delete (env as Record<string, string | undefined>).DOKKAA_TOKEN
  const run = (...args: string[]) => cli(args, env)

  const notLoggedIn = await run('ls')
  t.equal(notLoggedIn.status, 7, 'before login: authentication exit status')
  t.match(notLoggedIn.stderr, /error: not logged in[\s\S]*hint: run `dokkaacfg login/)
  t.notMatch(notLoggedIn.stderr, /    at /, 'no stack trace')

  const badLogin = await cli(['login', '--url', url, '--password-stdin'], env, 'wrong\n')
  t.equal(badLogin.status, 7, 'a wrong password is an authentication error')

  const login = await run('login', '--url', url, '--password-file', passwordFile)
  t.equal(login.status, 0, 'login with the generated root password', { stderr: login.stderr })
  t.match(login.stdout, /logged in to .* as root/)
  t.equal(JSON.parse(readFileSync(env.DOKKAA_CONFIG, 'utf8')).user, 'root')

  mkdirSync(join(dir, 'm'))
  writeFileSync(join(dir, 'm', 'nginx.json'), JSON.stringify({ image: 'dokkaa/busybox:test', services: { nginx: 80 } }))
  writeFileSync(join(dir, 'm', 'crawler.yaml'), 'image: dokkaa/busybox:test\nlinks: [nginx]\ncommand: sleep 3600\n')
  const apply = await run('apply', '-f', join(dir, 'm'), '--app', 'dummy')
  t.equal(apply.status, 0, 'apply a directory', { stderr: apply.stderr })
  t.match(apply.stdout, /dummy\/crawler: applied\ndummy\/nginx: applied/)
  const keys = new KeyLayout(etcd.prefix)
  t.match(JSON.parse((await etcd.client.get(keys.manifest({ app: 'dummy', name: 'nginx' })).string())!), { image: 'dokkaa/busybox:test' }, 'the manifest is in etcd')

  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ image: 'x', scale: -1, bogus: 1 }))
  const bad = await run('apply', '-f', join(dir, 'bad.json'), '--app', 'dummy')
  t.equal(bad.status, 5, 'an invalid manifest is refused with the API exit status')
  t.match(bad.stdout, /dummy\/bad: refused/)
  t.match(bad.stdout, /\/scale: /, 'with the JSON path of each error')

  const scale = await run('scale', 'dummy/nginx', '3')
  t.equal(scale.status, 0, 'scale', { stderr: scale.stderr })
  t.match(scale.stdout, 'dummy/nginx: scale 3')
  const ls = await run('--json', 'ls')
  const apps = JSON.parse(ls.stdout) as { manifests: { name: string; manifest: { scale?: number } }[] }[]
  t.same(apps.flatMap(a => a.manifests.map(m => `${m.name}:${m.manifest.scale ?? 1}`)).sort(), ['crawler:1', 'nginx:3'])
  t.match((await run('ls')).stdout, /MANIFEST\s+IMAGE\s+SCALE\s+PHASE\s+RUNNING\ndummy\/crawler/)

  const stop = await run('stop', 'dummy/nginx/1')
  t.equal(stop.status, 0, 'stop one instance', { stderr: stop.stderr })
  const control = JSON.parse((await etcd.client.get(keys.control({ app: 'dummy', name: 'nginx' })).string())!)
  t.match(control, { instances: { 1: { state: 'stopped' } } }, 'the lifecycle intent is recorded')
  t.equal((await run('state', 'dummy/nginx')).status, 0)
  t.equal((await run('ps', 'dummy')).status, 0)
  t.equal((await run('hosts')).status, 0)

  writeFileSync(join(dir, 'docker-compose.yml'), 'services:\n  web:\n    image: dokkaa/busybox:test\n    ports: ["8080:80"]\n')
  const imp = await run('import', join(dir, 'docker-compose.yml'), '--app', 'shop', '--apply')
  t.equal(imp.status, 0, 'import --apply', { stderr: imp.stderr })
  t.match(imp.stderr, /warning: web\.ports: host port 8080 for 80 dropped/)
  t.ok(await etcd.client.get(keys.manifest({ app: 'shop', name: 'web' })).string(), 'imported manifest applied')

  // Volumes kept by an instance (a home as the scheduler writes it, on a host that is down here).
  writeFileSync(join(dir, 'db.json'), JSON.stringify({ image: 'dokkaa/busybox:test', volumes: { data: '/data' } }))
  t.equal((await run('apply', '-f', join(dir, 'db.json'), '--app', 'shop')).status, 0)
  await etcd.client.put(keys.volumeHome({ app: 'shop', name: 'db', index: 0 })).value(JSON.stringify({ host: 'gone-host', since: '2026-11-29T00:00:00.000Z', volumes: ['data'] }))
  const vls = await run('volume', 'ls', 'shop')
  t.equal(vls.status, 0, 'volume ls', { stderr: vls.stderr })
  t.match(vls.stdout, /INSTANCE\s+HOST\s+HOST UP\s+IN USE\s+DOCKER VOLUMES[\s\S]*shop\/db\/0\s+gone-host\s+no\s+yes\s+shop---db---0---data/)
  // The scheduler's problem and warning for it (as it would write them) show under `ls`.
  const waits = 'instance 0 waits for its volumes (data) on host gone-host, which is down; set "volumeFailover": "recreate" to start it elsewhere with empty volumes'
  const now = new Date().toISOString()
  await etcd.client.put(keys.status({ app: 'shop', name: 'db' })).value(JSON.stringify({
    phase: 'Failed', desired: 1, running: 0, revision: 1, errors: [], problems: [waits], warnings: ['instance 1 started on h2 with empty volumes (data); its data stays on h9'],
    pulling: ['instance 2 on h3: pulling localhost:5000/app:v2: 2 of 5 layers, 12.0 of 40.1 MB'], lastEvent: { at: now, message: '' }, updatedAt: now,
  }))
  const said = await waitFor(async () => { const r = await run('ls', 'shop'); return r.stdout.includes('warning:') ? r : undefined }, { timeoutMs: 15_000, what: 'ls showing the status' })
  t.match(said.stdout, /shop\/db\s+dokkaa\/busybox:test\s+1\s+Failed\s+0\/1/, 'the table row')
  t.ok(said.stdout.includes(`shop/db: ${waits}`), 'the problem below the table')
  t.ok(said.stdout.includes('shop/db: warning: instance 1 started on h2 with empty volumes (data); its data stays on h9'), 'and the warning')
  t.ok(said.stdout.includes('shop/db: instance 2 on h3: pulling localhost:5000/app:v2: 2 of 5 layers, 12.0 of 40.1 MB'), 'and the pull under way')
  const busy = await run('volume', 'rm', 'shop/db/0')
  t.equal(busy.status, 5, 'in use: an API error')
  t.match(busy.stderr, /still uses its volumes: scale shop\/db below 1 or delete it first/)
  t.equal((await run('delete', 'shop/db')).status, 0)
  const down = await run('volume', 'rm', 'shop/db/0')
  t.match(down.stderr, /host gone-host, where the volumes of shop\/db\/0 live, is down/)
  const forgot = await run('volume', 'rm', 'shop/db/0', '--forget')
  t.equal(forgot.status, 0, 'forget', { stderr: forgot.stderr })
  t.match(forgot.stdout, /shop\/db\/0: record dropped; the data stays on gone-host/)
  t.equal((await run('volume', 'rm', 'shop/db')).status, 2, 'no index: usage')

  const del = await run('delete', 'dummy/crawler', 'shop/web')
  t.equal(del.status, 0, 'delete', { stderr: del.stderr })
  t.equal(await etcd.client.get(keys.manifest({ app: 'dummy', name: 'crawler' })).string(), null)
  const missing = await run('delete', 'dummy/crawler')
  t.equal(missing.status, 6, 'deleting what is not there: not-found exit status')
  const usage = await run('scale', 'dummy', '3')
  t.equal(usage.status, 2, 'a malformed reference is a usage error')
  t.match(usage.stderr, /"dummy" is not app\/name/)

  // Names break the rule: refused here, before any request, stating the rule.
  writeFileSync(join(dir, 'wrapped.json'), JSON.stringify([
    { app: 'dummy', name: 'ok', manifest: { image: 'dokkaa/busybox:test' } },
    { app: 'dummy', name: '../evil', manifest: { image: 'dokkaa/busybox:test' } },
  ]))
  const appsBefore = (await etcd.client.getAll().prefix(keys.apps).keys()).sort()
  const refused = [
    ['scale', 'Dummy/nginx', '3'], ['delete', 'dummy/a--b'], ['stop', 'dummy/Nginx'], ['restart', 'dummy/ngin\u00e9x/0'],
    ['state', `dummy/${'x'.repeat(64)}`], ['logs', 'dum_my/nginx'], ['ps', 'Dummy'], ['get', '..'],
    ['apply', '-f', join(dir, 'm'), '--app', 'Shop'], ['apply', '-f', join(dir, 'wrapped.json')],
    ['import', join(dir, 'docker-compose.yml'), '--app', 'a--b'],
  ]
  // Refused before any request, so they may run side by side.
  const results = await Promise.all(refused.map(args => run(...args)))
  for (const [i, args] of refused.entries()) {
    const r = results[i]!
    t.equal(r.status, 2, `${args.join(' ')}: usage exit status`, { stderr: r.stderr })
    t.match(r.stderr, /is not allowed: use a lowercase DNS label: 1-63 letters a-z, digits and "-", starting and ending with a letter or digit, no "--"/, `${args.join(' ')}: the rule`)
  }
  t.same((await etcd.client.getAll().prefix(keys.apps).keys()).sort(), appsBefore, 'nothing applied, not even the good document beside the bad one')
})
