// Finding 1 of the hostile-input issue, on the ambassador's side: records written
// straight into etcd under a victim's app name spelled in upper case (or with any
// other name the naming rule refuses) never join the victim's service — DNS, the web
// router and the link proxy keep answering with the victim's instances only. Junk
// values under /skydns and /ports are ignored, and the ambassador keeps serving.
import { randomBytes } from 'node:crypto'
import t from 'tap'
import fc from 'fast-check'
import { waitFor } from '../test/support/wait-for.js'
import { digShort, httpGet as get, startAmbassadorFixture, startBusybox, uniqueApp } from './testing/fixtures.js'

t.test('an upper-case spelling of the victim\'s app never mixes into its DNS, router or proxy', async (t) => {
  const run = randomBytes(4).toString('hex')
  const f = await startAmbassadorFixture(t)
  const victim = uniqueApp('victim')
  const [mine, attacker] = await Promise.all([startBusybox(t, run), startBusybox(t, run)])
  await f.announce(victim, 'web', 'web-0', { host: '127.0.0.1', port: mine!.port, role: 'web' })
  await waitFor(() => f.ambassador.current().table.service(victim, 'web')?.backends.length === 1, { what: 'the victim\'s backend' })
  const proxy = await f.proxyPort(victim, 'web')

  // The attacker's instance, announced under every spelling a lax parser would fold into the victim's app.
  const spellings = [victim.toUpperCase(), `${victim[0]!.toUpperCase()}${victim.slice(1)}`, `${victim}\n`, `..`, `${victim}%00`]
  for (const [i, app] of spellings.entries()) {
    await f.etcd.client.put(`${f.keys.skydnsRoot}${app}/web/web-${i + 1}`).value(JSON.stringify({ host: '127.0.0.1', port: attacker!.port, role: 'web' }))
  }
  // The last port of the block: the two valid services here are allocated from its bottom.
  const junkPort = f.config.portRange.to
  await f.etcd.client.put(`${f.keys.portsRoot}${victim.toUpperCase()}/web`).value(String(junkPort))
  // A marker written after the attack: once the ambassador has it, it has seen everything before it.
  await f.announce(uniqueApp('marker'), 'web', 'web-0', { host: '127.0.0.1', port: mine!.port })
  await waitFor(() => f.ambassador.current().table.services.size >= 2, { what: 'the marker record' })

  t.same(f.ambassador.current().table.service(victim, 'web')?.backends.map((b) => b.port), [mine!.port], 'the table holds the victim\'s instance only')
  t.same(await digShort(f.dnsPort, `web.${victim}.dokkaa.local`, 'SRV'), [`10 10 ${mine!.port} web-0.web.${victim}.dokkaa.local.`], 'SRV: only the victim\'s instance')
  t.same((await digShort(f.dnsPort, `web.${victim.toUpperCase()}.dokkaa.local`, 'SRV')).map((l) => l.toLowerCase()), [`10 10 ${mine!.port} web-0.web.${victim}.dokkaa.local.`], 'a query in upper case gets the same answer (DNS names are case-insensitive)')
  const seen = new Set<string>()
  for (let i = 0; i < 6; i++) seen.add((await get(f.webPort, `${victim}.dokkaa.local`, '/host.txt')).body)
  t.same([...seen], [`instance ${mine!.hostname}`], 'the web router sends every request to the victim\'s instance')
  const viaProxy = new Set<string>()
  for (let i = 0; i < 6; i++) viaProxy.add(await (await fetch(`http://127.0.0.1:${proxy}/host.txt`, { signal: AbortSignal.timeout(5000) })).text())
  t.same([...viaProxy].map((s) => s.trim()), [`instance ${mine!.hostname}`], 'the link proxy too')
  t.notOk(f.ambassador.proxyPorts().includes(junkPort), 'no listener for the upper-case port record')
})

t.test('junk under /skydns and /ports is ignored; the ambassador keeps serving', async (t) => {
  const run = randomBytes(4).toString('hex')
  const f = await startAmbassadorFixture(t)
  const app = uniqueApp('steady')
  const b = await startBusybox(t, run)
  const junkValue = fc.oneof(fc.json({ maxDepth: 4 }), fc.string({ unit: 'binary', maxLength: 200 }),
    fc.record({ host: fc.oneof(fc.string(), fc.constant('example.com'), fc.ipV4()), port: fc.oneof(fc.integer(), fc.double(), fc.string()), role: fc.oneof(fc.string(), fc.constant('web')) }).map((v) => JSON.stringify(v)))
  const junkKey = fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom('', '/', '//', '../x', 'A/B/C', 'a/b/c/d/e', 'app/svc/leaf', 'x/y'))
  const samples = fc.sample(fc.tuple(fc.constantFrom(f.keys.skydnsRoot, f.keys.portsRoot), junkKey, junkValue), 500)
  for (const [root, key, value] of samples) await f.etcd.client.put(`${root}${key}`).value(value)

  await f.announce(app, 'web', 'web-0', { host: '127.0.0.1', port: b!.port, role: 'web' })
  await waitFor(() => f.ambassador.current().table.service(app, 'web')?.backends.length === 1, { what: 'the valid backend', timeoutMs: 30_000 })
  const page = await get(f.webPort, `${app}.dokkaa.local`, '/host.txt')
  t.same({ status: page.status, body: page.body }, { status: 200, body: `instance ${b!.hostname}` }, 'the valid app is served after 500 junk records')
  t.same(await digShort(f.dnsPort, `web.${app}.dokkaa.local`, 'A'), ['127.0.0.1'])
  for (const e of f.ambassador.current().table.services.values()) {
    for (const be of e.backends) t.ok(/^\d+\.\d+\.\d+\.\d+$/.test(be.host) && Number.isInteger(be.port), `backend ${e.app}/${e.service} is an address and a port`)
  }
  t.ok(f.ambassador.current().table.problems.length > 0, 'the junk is reported as unusable records')
})
