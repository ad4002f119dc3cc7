// Logs through a host's agent API (real Docker), and live changes over server-sent events.
import { randomBytes } from 'node:crypto'
import Dockerode from 'dockerode'
import t from 'tap'
import { LABELS, type HostRecord, type InstanceRecord } from '../schemas/index.js'
import { startAgentApi } from '../conductor/agent-api/agent-api.js'
import { DockerodeEngine } from '../conductor/dockerode-engine.js'
import { TEST_IMAGE } from '../test/support/images.js'
import { readUntil } from '../test/support/read-until.js'
import { waitFor } from '../test/support/wait-for.js'
import { ensureAgentToken } from './bootstrap.js'
import { builderFixture, nginx } from './testing.js'

t.test('logs of an instance come from its host\'s agent, tail and follow', async t => {
  const f = await builderFixture(t)
  const docker = new Dockerode()
  const run = randomBytes(4).toString('hex')
  const hostId = `bl-${run}`
  const ref = { app: `logs${run}`, name: 'web', index: 0 }
  const containerName = `${ref.app}---web`
  const c = await docker.createContainer({
    name: containerName, Image: TEST_IMAGE, Cmd: ['sh', '-c', 'echo first; echo second; sleep 1; echo third; sleep 300'],
    Labels: { [LABELS.host]: hostId, [LABELS.app]: ref.app, [LABELS.name]: 'web', [LABELS.instance]: '0' },
  })
  t.teardown(() => c.remove({ force: true }))
  await c.start()
  const token = await ensureAgentToken(f.kv, f.keys)
  const agent = await startAgentApi({ engine: new DockerodeEngine(process.env.DOCKER_HOST || 'unix:///var/run/docker.sock'), hostId, token, listen: { host: '127.0.0.1', port: 0 } })
  t.teardown(() => agent.close())

  await f.req({ method: 'PUT', url: `/api/v1/apps/${ref.app}/web/manifest`, auth: f.root, payload: nginx })
  const logsUrl = `/api/v1/apps/${ref.app}/web/instances/0/logs`
  t.equal((await f.req({ method: 'GET', url: logsUrl, auth: f.root })).statusCode, 404, 'no instance yet')

  const inst: InstanceRecord = { host: hostId, hostAddress: '127.0.0.1', containerId: c.id, containerName, state: 'running', specHash: 'x', ports: {}, restarts: 0, updatedAt: '' }
  await f.kv.put(f.keys.instance(ref), JSON.stringify(inst))
  const host: HostRecord = { id: hostId, address: '127.0.0.1', labels: {}, cpus: 1, memory: 1, engineVersion: '20.10', startedAt: '' }
  await f.kv.put(f.keys.host(hostId), JSON.stringify(host))
  const noAgent = await f.req({ method: 'GET', url: logsUrl, auth: f.root })
  t.equal(noAgent.statusCode, 502)
  t.equal(noAgent.json().error.code, 'DKA_BUILDER_AGENT_UNAVAILABLE')

  await f.kv.put(f.keys.host(hostId), JSON.stringify({ ...host, agentUrl: agent.url }))
  const all = await waitFor(async () => {
    const r = await f.req({ method: 'GET', url: `${logsUrl}?tail=10`, auth: f.root })
    return r.statusCode === 200 && r.body.includes('third') && r.body
  }, { timeoutMs: 30_000, what: 'three log lines' })
  t.equal(all, 'first\nsecond\nthird\n')
  const tail1 = await f.req({ method: 'GET', url: `${logsUrl}?tail=1`, auth: f.root })
  t.equal(tail1.body, 'third\n')
  t.match(tail1.headers['content-type'], /text\/plain/)
  t.equal((await f.req({ method: 'GET', url: `${logsUrl}?tail=-1`, auth: f.root })).statusCode, 400)

  // follow, through a listening builder
  const base = await f.app.listen({ host: '127.0.0.1', port: 0 })
  const ctl = new AbortController()
  const res = await fetch(`${base}${logsUrl}?tail=2&follow=1`, { headers: f.root, signal: ctl.signal })
  t.equal(res.status, 200)
  t.match(await readUntil(res.body!, x => x.includes('third')), /second\nthird\n$/)
  ctl.abort()

  // the agent refuses a wrong token: the builder reports the agent, not a crash
  const f2 = await builderFixture(t)
  await f2.kv.put(f2.keys.agentToken, JSON.stringify({ token: 'wrong', createdAt: '' }))
  await f2.req({ method: 'PUT', url: `/api/v1/apps/${ref.app}/web/manifest`, auth: f2.root, payload: nginx })
  await f2.kv.put(f2.keys.instance(ref), JSON.stringify(inst))
  await f2.kv.put(f2.keys.host(hostId), JSON.stringify({ ...host, agentUrl: agent.url }))
  t.equal((await f2.req({ method: 'GET', url: logsUrl, auth: f2.root })).json().error.code, 'DKA_BUILDER_AGENT_UNAVAILABLE')
})

t.test('server-sent events carry changes to those who may see them', async t => {
  const f = await builderFixture(t)
  const alice = await f.user('alice')
  const bob = await f.user('bob')
  const base = await f.app.listen({ host: '127.0.0.1', port: 0 })
  const open = async (auth: { authorization: string }) => {
    const ctl = new AbortController()
    t.teardown(() => ctl.abort())
    const res = await fetch(`${base}/api/v1/events`, { headers: auth, signal: ctl.signal })
    t.match(res.headers.get('content-type'), /text\/event-stream/)
    await readUntil(res.body!, x => x.includes('event: ready'))
    return res.body!
  }
  t.equal((await fetch(`${base}/api/v1/events`)).status, 401)
  const aliceStream = await open(alice)
  const bobStream = await open(bob)
  const rootStream = await open(f.root)

  await f.req({ method: 'PUT', url: '/api/v1/apps/shop/web/manifest', auth: alice, payload: nginx })
  await f.kv.put(f.keys.status({ app: 'shop', name: 'web' }), JSON.stringify({ phase: 'Running' }))
  await f.req({ method: 'PUT', url: '/api/v1/apps/blog/web/manifest', auth: bob, payload: nginx })
  await f.kv.put(f.keys.host('h1'), '{}')

  const a = await readUntil(aliceStream, x => x.includes('"kind":"hosts"'))
  t.match(a, /"kind":"manifest","app":"shop","name":"web"/)
  t.match(a, /"kind":"status","app":"shop","name":"web","value":\{"phase":"Running"\}/)
  t.notMatch(a, /blog/, "alice sees nothing of bob's")
  const b = await readUntil(bobStream, x => x.includes('"kind":"hosts"'))
  t.notMatch(b, /shop/)
  t.match(b, /"app":"blog"/)
  const r = await readUntil(rootStream, x => x.includes('"kind":"hosts"'))
  t.match(r, /shop/)
  t.match(r, /blog/)
})
