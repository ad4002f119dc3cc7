// The seed's linked-services example, end to end with the real processes: a
// dokkaa-conductor (scheduling too) and a dokkaa-ambassador on one engine, the
// crawler linking to nginx by name. The containers join a Docker network of this
// test's own (conductor --network), and reach the ambassador on that network's gateway,
// as they reach docker0's on a real host: so the test never competes for docker0:53
// with a Dokkaa already running on this machine. Published ports stay on loopback.
import { randomBytes } from 'node:crypto'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import t, { type Test } from 'tap'
import { KeyLayout, LABELS } from '../schemas/index.js'
import { containerLogs, listByLabel, removeContainersByLabel, testDocker } from '../test/support/docker.js'
import { testEtcd } from '../test/support/etcd.js'
import { INDEX_TEXT, TEST_IMAGE } from '../test/support/images.js'
import { startTsProcess } from '../test/support/processes.js'
import { waitFor } from '../test/support/wait-for.js'
import { freeDnsPort, freePortBlock } from './testing/fixtures.js'

const exec = promisify(execFile)
// Note: busybox-static's wget crashes (SIGSEGV) with -T, so no wget timeouts here;
// the exec itself is bounded instead.
const LONG = { timeoutMs: 90_000, intervalMs: 250 }

async function dockerExec(id: string, ...cmd: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const { stdout, stderr } = await exec('docker', ['exec', id, ...cmd], { env: { ...process.env, DOCKER_API_VERSION: '1.41' }, timeout: 30_000 })
    return { ok: true, out: stdout + stderr }
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message?: string }
    return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}` || (e.message ?? '') }
  }
}

/** A bridge network of the test's own; its gateway is where the containers' ambassador listens. */
async function testNetwork(t: Test, name: string): Promise<string> {
  const docker = testDocker()
  const network = await docker.createNetwork({ Name: name, Driver: 'bridge', Labels: { 'io.dokkaa.test': 'crawler' } })
  t.teardown(() => network.remove().catch(() => undefined))
  const info = await network.inspect() as { IPAM: { Config: { Gateway?: string }[] } }
  const gateway = info.IPAM.Config[0]?.Gateway
  if (!gateway) throw new Error(`docker network ${name} has no gateway`)
  return gateway
}

t.test('crawler links to nginx: env, proxy, DNS search domains, scale, delete and return', async (t) => {
  const etcd = testEtcd(t)
  const keys = new KeyLayout(etcd.prefix)
  const hostId = `amb-e2e-${randomBytes(3).toString('hex')}`
  const app = `crawl${randomBytes(3).toString('hex')}`
  const range = await freePortBlock()
  const network = `dokkaa-${hostId}`
  const bridge = await testNetwork(t, network)
  // Registered after the network's teardown, so it runs first (tap runs teardowns in reverse).
  t.teardown(() => removeContainersByLabel(LABELS.host, hostId))

  // Containers resolve through port 53 on the network's gateway; the host queries a spare loopback port.
  const hostDnsPort = await freeDnsPort()
  const ambassador = startTsProcess('ambassador/main.ts', [
    '--etcd', etcd.hosts.join(','), '--prefix', etcd.prefix,
    '--dns-listen', `${bridge}:53,127.0.0.1:${hostDnsPort}`, '--proxy-listen', `${bridge},127.0.0.1`,
    '--port-range', `${range.from}-${range.to}`, '--upstream', 'none', '--web-listen', 'none',
  ], {}, { t, name: 'ambassador' })
  await ambassador.waitForLine('ambassador ready', { timeoutMs: 30_000 })
  // --ambassador-address auto: the conductor finds the gateway of its --network itself.
  const conductor = startTsProcess('conductor/main.ts', [
    '--etcd', etcd.hosts.join(','), '--prefix', etcd.prefix, '--host-id', hostId, '--network', network,
    '--host-address', '127.0.0.1', '--port-range', `${range.from}-${range.to}`, '--resync', '2',
  ], {}, { t, name: 'conductor' })

  const put = (name: string, manifest: object) => etcd.client.put(keys.manifest({ app, name })).value(JSON.stringify(manifest))
  const containersOf = async (name: string) => (await listByLabel(LABELS.host, hostId))
    .filter((c) => c.Labels[LABELS.app] === app && c.Labels[LABELS.name] === name && c.State === 'running')

  // The crawler first: its link is allowed before nginx exists, and its env is already final.
  await put('crawler', { image: TEST_IMAGE, links: ['nginx'], command: 'while true; do wget -qO- http://$SERVICE_NGINX_ADDR:$SERVICE_NGINX_PORT; sleep 2; done' })
  const crawler = (await waitFor(async () => (await containersOf('crawler'))[0], { ...LONG, what: 'the crawler running' }).catch((err) => {
    throw new Error(`${err.message}\n${conductor.output()}`)
  }))
  const env = (await testDocker().getContainer(crawler.Id).inspect()).Config.Env
  const port = Number(env.find((e) => e.startsWith('SERVICE_NGINX_PORT='))?.split('=')[1])
  t.ok(env.includes(`SERVICE_NGINX_ADDR=${bridge}`), 'SERVICE_NGINX_ADDR is the ambassador on the bridge')
  t.ok(port >= range.from && port <= range.to, `SERVICE_NGINX_PORT ${port} is the service's stable port`)
  t.notOk((await dockerExec(crawler.Id, 'wget', '-qO-', `http://${bridge}:${port}/`)).ok, 'no nginx yet: the request fails')

  await put('nginx', { image: TEST_IMAGE, services: { nginx: 80 } })
  await waitFor(async () => (await containerLogs(crawler.Id)).includes(INDEX_TEXT), { ...LONG, what: "nginx's page in the crawler's logs" })
  t.pass("the crawler's logs show nginx's page")

  // busybox nslookup asks A and AAAA under each search domain and exits 1 when the
  // AAAA search ends in NXDOMAIN, even though the A answer was found: judge the output.
  const lookup = await waitFor(async () => {
    const r = await dockerExec(crawler.Id, 'nslookup', 'nginx')
    return new RegExp(`Name:\\s+nginx\\.${app}\\.dokkaa\\.local\\s+Address:\\s+127\\.0\\.0\\.1`).test(r.out) && r.out
  }, { ...LONG, what: 'nslookup nginx inside the crawler' })
  // On a user-defined network Docker's embedded DNS (127.0.0.11) answers first and forwards
  // what it does not know to the Dns servers the conductor set: the ambassador.
  t.match(lookup, /Server:\s+127\.0\.0\.11/, 'the short name resolves, through the ambassador and the search domains')
  t.same((await testDocker().getContainer(crawler.Id).inspect()).HostConfig.Dns, [bridge], 'the container\'s DNS server is the ambassador')

  // Scale to 3: the crawler's address spreads over all three.
  await put('nginx', { image: TEST_IMAGE, services: { nginx: 80 }, scale: 3 })
  await waitFor(async () => (await containersOf('nginx')).length === 3, { ...LONG, what: 'three nginx instances' })
  let last: string[] = []
  const hosts = await waitFor(async () => {
    const seen = new Set<string>()
    for (let i = 0; i < 6; i++) seen.add((await dockerExec(crawler.Id, 'wget', '-qO-', `http://${bridge}:${port}/host.txt`)).out.trim())
    last = [...seen]
    return seen.size === 3 && seen
  }, { ...LONG, what: 'answers from three instances' }).catch(async (err: Error) => {
    const records = await etcd.client.getAll().prefix(keys.skydnsRoot).strings()
    throw new Error(`${err.message}\nlast answers: ${JSON.stringify(last)}\nrecords: ${JSON.stringify(records)}`)
  })
  t.equal(hosts.size, 3, 'requests spread over the three instances')

  // Delete nginx: refused quickly, and the crawler keeps looping; back again on the same port.
  await etcd.client.delete().key(keys.manifest({ app, name: 'nginx' }))
  await waitFor(async () => (await containersOf('nginx')).length === 0, { ...LONG, what: 'nginx gone' })
  const refused = await waitFor(async () => { const r = await dockerExec(crawler.Id, 'wget', '-qO-', `http://${bridge}:${port}/`); return !r.ok && r }, { ...LONG, what: 'a refused request' })
  t.match(refused.out, /reset|refused|closed|error/i, `without nginx: ${refused.out.trim()}`)
  await put('nginx', { image: TEST_IMAGE, services: { nginx: 80 } })
  const back = await waitFor(async () => { const r = await dockerExec(crawler.Id, 'wget', '-qO-', `http://${bridge}:${port}/`); return r.ok && r.out.trim() }, { ...LONG, what: 'nginx back' })
  t.equal(back, INDEX_TEXT, 'the same SERVICE_NGINX_ADDR/PORT works again, nothing restarted')
  t.equal((await containersOf('crawler'))[0]?.Id, crawler.Id, 'the crawler was never replaced')

  await conductor.stop()
  await ambassador.stop()
})
