// `dokkaacfg up/down --provider=digitalocean` as a user runs them, against a local
// stand-in of DigitalOcean's API that checks every request against the documented
// API: the exact requests of up 2 -> up 3 -> up 1 -> down, droplets of others left
// alone, and what a user sees for a missing or refused token, a refused region and
// a rate limit. Nothing here leaves 127.0.0.1.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { FakeDigitalOcean, type RecordedRequest } from './do-fake-api.js'
import { runCli } from './cli-test-support.js'

const TOKEN = 'dop_v1_test0123'
// The cluster key is kept under the state dir: this test's own, never /var/lib/dokkaa-cfg.
const stateDir = mkdtempSync(join(tmpdir(), 'dokkaa-do-state-'))
t.teardown(() => rmSync(stateDir, { recursive: true, force: true }))
const flags = ['--provider=digitalocean', '--name', 'demo', '--state-dir', stateDir, '--region', 'ams3', '--size', 's-2vcpu-4gb',
  '--ssh-key', '12345', '--ssh-key', '3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa']
const common = ['--provider=digitalocean', '--name', 'demo', '--state-dir', stateDir]
const LIST = 'GET /v2/droplets?tag_name=dokkaa-demo&page=1&per_page=200'

const line = (r: RecordedRequest) => `${r.method} ${r.path}`

t.test('up 2 -> up 3 -> up 1 -> down makes exactly the documented requests', async t => {
  const api = await new FakeDigitalOcean(TOKEN).start()
  t.teardown(() => api.stop())
  const foreign = api.addForeign('someone-elses-web', ['web'])
  const other = api.addForeign('other-h1', ['dokkaa-other'])
  const env = { ...process.env, DIGITALOCEAN_ACCESS_TOKEN: TOKEN, DOKKAA_DO_API_URL: api.url, DOKKAA_DO_POLL_MS: '10' }
  const cli = async (args: string[]) => {
    const from = api.requests.length
    const r = await runCli(args, env)
    return { ...r, requests: api.requests.slice(from) }
  }

  const up2 = await cli(['--json', 'up', '--scale=2', ...flags])
  t.equal(up2.status, 0, 'up --scale=2 succeeds', { stderr: up2.stderr })
  t.same(up2.requests.map(line), [LIST, 'POST /v2/droplets', LIST, LIST, 'POST /v2/droplets', LIST, LIST, LIST],
    'list, create the etcd droplet, poll until active, create the second, poll, list')
  const [c1, c2] = up2.requests.filter(r => r.method === 'POST').map(r => r.body!)
  t.same({ ...c1, user_data: '…' }, {
    name: 'demo-h1', region: 'ams3', size: 's-2vcpu-4gb', image: 'debian-12-x64',
    ssh_keys: [12345, '3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa'], user_data: '…', tags: ['dokkaa-demo', 'dokkaa-demo-etcd'],
  }, 'the first droplet: every documented field, key ids as numbers, the cluster and etcd tags')
  t.same(c2!.tags, ['dokkaa-demo'], 'the second carries only the cluster tag')
  const ud1 = parse(c1!.user_data as string) as { write_files: { path: string; content: string }[]; runcmd: unknown[] }
  const ud2 = parse(c2!.user_data as string) as typeof ud1
  const env1 = ud1.write_files.find(f => f.path === '/etc/dokkaa/env')!.content
  const env2 = ud2.write_files.find(f => f.path === '/etc/dokkaa/env')!.content
  t.match(env1, /^DOKKAA_ETCD=http:\/\/__PRIVATE_IP__:2379$/m, 'the etcd droplet uses its own VPC address, filled in at boot')
  const h1 = [...api.droplets.values()].find(d => d.name === 'demo-h1')!
  const h1Private = h1.networks.v4.find(n => n.type === 'private')!.ip_address
  t.match(env2, new RegExp(`^DOKKAA_ETCD=http://${h1Private.replace(/\./g, '\\.')}:2379$`, 'm'), 'the others join the etcd droplet\'s VPC address')
  t.match(env2, /^DOKKAA_HOST_ID=demo-h2$/m)
  t.ok(JSON.stringify(ud1.runcmd).includes('systemctl enable --now dokkaa-etcd'), 'the first droplet starts etcd')
  t.notOk(JSON.stringify(ud2.runcmd).includes('dokkaa-etcd'), 'the second does not')
  const keyFile = join(stateDir, 'demo', 'cluster.key')
  const keyOf = (ud: typeof ud1) => ud.write_files.find(f => f.path === '/etc/dokkaa/cluster.key')?.content
  t.equal(keyOf(ud1), readFileSync(keyFile, 'utf8'), 'the cluster key kept in the state dir goes to the first droplet')
  t.equal(keyOf(ud2), keyOf(ud1), 'and the same to the second')
  t.equal(statSync(keyFile).mode & 0o777, 0o600, 'kept mode 0600')
  const r2 = JSON.parse(up2.stdout) as { added: string[]; hosts: { id: string; address: string }[]; consoleUrl: string; etcdEndpoints: string[] }
  t.same(r2.added, ['demo-h1', 'demo-h2'])
  const h1Public = h1.networks.v4.find(n => n.type === 'public')!.ip_address
  t.equal(r2.consoleUrl, `http://${h1Public}:8080/`, 'the console is on the etcd droplet\'s public address')
  t.same(r2.etcdEndpoints, [`http://${h1Public}:2379`])

  const up3 = await cli(['up', '--scale=3', ...flags])
  t.equal(up3.status, 0, 'up --scale=3 succeeds', { stderr: up3.stderr })
  t.same(up3.requests.map(line), [LIST, 'POST /v2/droplets', LIST, LIST, LIST], 'one droplet created')
  t.equal(up3.requests[1]!.body!.name, 'demo-h3')
  t.equal(keyOf(parse(up3.requests[1]!.body!.user_data as string) as typeof ud1), keyOf(ud1), 'a droplet added by a later up gets the same key')
  t.match(up3.stdout, /^added: demo-h3$/m)
  t.match(up3.stdout, /^console: http:\/\/203\.0\.113\.\d+:8080\/$/m)

  const again = await cli(['up', '--scale=3', ...flags])
  t.same(again.requests.map(line), [LIST], 'up at the same scale only looks')

  const ids = Object.fromEntries([...api.droplets.values()].map(d => [d.name, d.id]))
  const up1 = await cli(['up', '--scale=1', ...flags])
  t.equal(up1.status, 0, 'up --scale=1 succeeds', { stderr: up1.stderr })
  t.same(up1.requests.map(line), [LIST, `DELETE /v2/droplets/${ids['demo-h3']}`, `DELETE /v2/droplets/${ids['demo-h2']}`, LIST],
    'newest first, by id, and never the etcd droplet')
  t.match(up1.stdout, /^removed: demo-h3, demo-h2$/m)

  const status = await cli(['--json', 'status', ...common])
  const s = JSON.parse(status.stdout) as { hosts: { id: string; components: Record<string, string> }[] }
  t.same(s.hosts.map(h => [h.id, h.components.droplet]), [['demo-h1', 'active']])

  const down = await cli(['down', ...common])
  t.equal(down.status, 0, 'down succeeds', { stderr: down.stderr })
  t.same(down.requests.map(line), [LIST, 'DELETE /v2/droplets?tag_name=dokkaa-demo'], 'down deletes by the cluster tag')
  t.match(down.stdout, /removed: demo-h1/)
  t.same([...api.droplets.values()].map(d => d.id).sort(), [foreign.id, other.id].sort(), 'droplets it did not tag are still there')

  const down2 = await cli(['down', ...common])
  t.same(down2.requests.map(line), [LIST], 'a second down only looks')
  t.match(down2.stdout, /nothing to remove/)
  t.same(api.violations, [], 'no request broke the documented API')
})

t.test('token, region and rate limit errors say what to do', async t => {
  const api = await new FakeDigitalOcean(TOKEN).start()
  t.teardown(() => api.stop())
  const base: NodeJS.ProcessEnv = { ...process.env, DOKKAA_DO_API_URL: api.url, DOKKAA_DO_POLL_MS: '10' }
  delete base.DIGITALOCEAN_ACCESS_TOKEN

  const none = await runCli(['up', '--scale=1', ...flags], base)
  t.equal(none.status, 7, 'no token: exit 7 (authentication)')
  t.match(none.stderr, /error: DIGITALOCEAN_ACCESS_TOKEN is not set\nhint: .*export DIGITALOCEAN_ACCESS_TOKEN=/)
  t.equal(api.requests.length, 0, 'and no request was made')

  const wrong = await runCli(['up', '--scale=1', ...flags], { ...base, DIGITALOCEAN_ACCESS_TOKEN: 'dop_v1_wrong' })
  t.equal(wrong.status, 7, 'refused token: exit 7')
  t.match(wrong.stderr, /error: DigitalOcean refused the token \(401: Unable to authenticate you\)/)
  t.notMatch(wrong.stderr, /at .*\.ts:\d+/, 'no stack trace')

  const env = { ...base, DIGITALOCEAN_ACCESS_TOKEN: TOKEN }
  const region = await runCli(['up', '--scale=1', ...flags.filter(f => f !== 'ams3').map(f => (f === '--region' ? '--region=nowhere' : f))], env)
  t.equal(region.status, 5, 'a refused region: exit 5 (API error)')
  t.match(region.stderr, /error: DigitalOcean refused POST \/v2\/droplets \(422: Region is not available\)\nhint: check --region/)

  const noSize = await runCli(['up', '--scale=1', '--provider=digitalocean', '--region', 'ams3'], env)
  t.equal(noSize.status, 2, 'a missing --size is a usage error')
  t.match(noSize.stderr, /--size is required/)

  api.rateLimitNext = 1
  const from = api.requests.length
  const limited = await runCli(['--json', 'status', ...common], env)
  t.equal(limited.status, 0, 'a 429 is waited out and retried', { stderr: limited.stderr })
  t.same(api.requests.slice(from).map(line), [LIST, LIST])
  t.same(api.violations, [])
})
