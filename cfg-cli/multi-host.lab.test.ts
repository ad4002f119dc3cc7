// The issue's end-to-end story on one machine, through the real `dokkaacfg`: up a
// three-host cluster, apply the seed's nginx (scale 3) and crawler, see them spread over
// the hosts and the crawler reach nginx on other hosts through the ambassadors; crash
// the crawler's host and see everything come back on the others, the crawler working
// again; `down` leaves nothing behind.
import t from 'tap'
import { join } from 'node:path'
import type { InstanceRecord } from '../schemas/index.js'
import { findLeftovers } from './lab-leftovers.js'
import { allowLabTeardown, canRunLabs, installedDokkaa, installedDokkaaUntouched, upLabCluster } from './lab-test-support.js'
import { nodeEntry } from './local-agents.js'
import { crashNetnsHost } from './host-crash.js'
import { containerLogs } from '../test/support/docker.js'
import { classifyListener, dialAddress, parseSs, speaksClusterTls, speaksTls } from '../test/support/listeners.js'
import { bipGateway } from './local-agents.js'
import { runInNetns } from './run-command.js'
import { waitFor } from '../test/support/wait-for.js'

const skip = canRunLabs() || (!nodeEntry('conductor') || !nodeEntry('ambassador') || !nodeEntry('builder') ? 'needs conductor, ambassador and builder' : false)
const IMAGE = 'dokkaa/busybox:test'
const installed = installedDokkaa()
const TEST_MS = 240_000
allowLabTeardown(t, TEST_MS)

interface PsRow { app: string; name: string; index: number; host?: string; state?: string }

t.test('three hosts: nginx spread, crawler across hosts, a host dies and everything heals', { skip, timeout: TEST_MS }, async t => {
  const c = await upLabCluster(t, { namePrefix: 'dkm', scale: 3, image: IMAGE })
  const { name, subnet, stateDir, runDir, flags, cli, lab, hostIndex, keys, etcd } = c
  const cluster = c.up
  t.equal(cluster.hosts.length, 3)

  // Each nginx instance serves its container's hostname, so the crawler's log tells which instance answered.
  const nginx = { image: IMAGE, scale: 3, services: { nginx: 80 }, command: 'echo "hello from $(hostname)" > /www/index.html; exec httpd -f -p 80 -h /www' }
  const crawler = { image: IMAGE, links: ['nginx'], command: 'while true; do wget -qO- http://$SERVICE_NGINX_ADDR:$SERVICE_NGINX_PORT; sleep 2; done' }
  await etcd.put(keys.manifest({ app: 'dummy', name: 'nginx' })).value(JSON.stringify(nginx))
  await etcd.put(keys.manifest({ app: 'dummy', name: 'crawler' })).value(JSON.stringify(crawler))

  t.match(cluster.consoleUrl, /^https:\/\//, 'the console and API over HTTPS')
  const login = await cli(['login', '--url', cluster.consoleUrl, '--ca', cluster.caFile!, '--password-file', cluster.rootPasswordFile])
  if (!t.equal(login.status, 0, 'dokkaacfg login with the generated root password', { stderr: login.stderr, stdout: login.stdout })) return
  const ps = async () => {
    const r = await cli(['--json', 'ps', 'dummy'])
    if (r.status !== 0) throw new Error(r.stderr)
    return JSON.parse(r.stdout) as PsRow[]
  }
  const allRunning = (rows: PsRow[], away?: string) =>
    rows.length === 4 && rows.every(r => r.state === 'running' && r.host && r.host !== away) ? rows : undefined

  const before = await waitFor(async () => allRunning(await ps()), { timeoutMs: 60_000, intervalMs: 500, what: 'dokkaacfg ps: 3 nginx and 1 crawler running' })
  const nginxHosts = before.filter(r => r.name === 'nginx').map(r => r.host!)
  t.equal(new Set(nginxHosts).size, 3, `ps shows the nginx instances on three different hosts (${nginxHosts.join(', ')})`)

  const instances = async () => (await etcd.getAll().prefix(keys.instances).strings())
  const record = async (app: string, n: string, index: number) => {
    const v = (await instances())[keys.instance({ app, name: n, index })]
    return v ? JSON.parse(v) as InstanceRecord : undefined
  }
  const crawlerBefore = (await record('dummy', 'crawler', 0))!
  const crawlerHost = crawlerBefore.host
  const remoteNginx = [] as string[]
  for (let i = 0; i < 3; i++) {
    const r = (await record('dummy', 'nginx', i))!
    if (r.host !== crawlerHost) remoteNginx.push(r.containerId!.slice(0, 12))
  }
  const crawlerLogs = (host: string, id: string) => containerLogs(id, lab.docker(hostIndex(host)))
  const reached = await waitFor(async () => {
    const log = await crawlerLogs(crawlerHost, crawlerBefore.containerId!)
    return remoteNginx.find(h => log.includes(`hello from ${h}`))
  }, { timeoutMs: 30_000, intervalMs: 500, what: `the crawler on ${crawlerHost} to log a page of an nginx on another host (${remoteNginx.join(', ')})` })
  t.ok(reached, `the crawler on ${crawlerHost} got the page of nginx ${reached} on another host, through the ambassador`)

  // TLS everywhere (issue 12): inside each host, every listener on an address others reach
  // speaks TLS with a certificate of the cluster's CA — but the web router's HTTP port,
  // published app ports, and the DNS and link proxies on the docker bridge for the host's
  // own containers (the app's own bytes).
  const plain: string[] = []
  const tlsSeen: string[] = []
  for (const h of lab.hosts()) {
    const ss = await runInNetns(h.netns, 'ss', ['-Hltunp'])
    for (const l of parseSs(ss.stdout)) {
      const verdict = classifyListener(l, { webHttp: `${h.address}:80`, webHttps: `${h.address}:443`, dockerGateway: bipGateway(h.bip) })
      if (verdict !== 'must-be-tls' && verdict !== 'plain-udp' && verdict !== 'web-https') continue
      const where = `${h.id} ${l.proto} ${l.address}:${l.port} (${l.process || 'no process shown'})`
      const probe = verdict === 'must-be-tls' ? await speaksClusterTls(dialAddress(l, h.address), l.port, cluster.etcdTls!)
        : verdict === 'web-https' ? await speaksTls(dialAddress(l, h.address), l.port)
          : { ok: false, why: 'UDP on an address other hosts reach' }
      if (probe.ok) tlsSeen.push(where)
      else plain.push(`${where}: ${probe.why}`)
    }
  }
  t.same(plain, [], 'no plain-text listener on a non-loopback address inside any host')
  t.ok(tlsSeen.length >= 6, `TLS listeners: per host the agent API (the cluster's certificate) and the web router's HTTPS port at least: ${tlsSeen.join('; ')}`)

  // The crawler's host dies with one nginx on it.
  await crashNetnsHost(lab.host(hostIndex(crawlerHost)))
  const after = await waitFor(async () => allRunning(await ps(), crawlerHost), { timeoutMs: 60_000, intervalMs: 500, what: `every instance running away from the dead ${crawlerHost}` })
  t.ok(after.every(r => r.host !== crawlerHost), `ps: all four instances run on the other hosts (${after.map(r => `${r.name}/${r.index}@${r.host}`).join(', ')})`)

  // Seen by the engines, not only the records: each instance's container runs where its record says.
  for (const r of after) {
    const rec = (await record('dummy', r.name, r.index))!
    const info = await lab.docker(hostIndex(rec.host)).getContainer(rec.containerId!).inspect()
    t.equal(info.State.Running, true, `dummy/${r.name}/${r.index} runs in ${rec.host}'s engine`)
  }

  const crawlerAfter = (await record('dummy', 'crawler', 0))!
  t.not(crawlerAfter.containerId, crawlerBefore.containerId, 'the crawler is a new container')
  const page = await waitFor(async () => (await crawlerLogs(crawlerAfter.host, crawlerAfter.containerId!)).match(/hello from [0-9a-f]{12}/)?.[0],
    { timeoutMs: 30_000, intervalMs: 500, what: 'the moved crawler to log a page' })
  t.ok(page, `the crawler recovered on ${crawlerAfter.host}: "${page}"`)

  const down = await cli(['down', ...flags])
  t.equal(down.status, 0, 'down succeeds, dead host included', { stderr: down.stderr })
  const left = await findLeftovers(name, subnet, [join(stateDir, name), runDir])
  t.same(left, { netns: [], links: [], iptables: [], mounts: [], processes: [], paths: [] }, 'down leaves no leftovers')
})

installedDokkaaUntouched(t, installed)
