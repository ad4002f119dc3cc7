// Against the real Docker engine: a container of "our" host, one of another host.
import { randomBytes } from 'node:crypto'
import Dockerode from 'dockerode'
import t from 'tap'
import { LABELS } from '../../schemas/index.js'
import { DockerodeEngine } from '../dockerode-engine.js'
import { readUntil } from '../../test/support/read-until.js'
import { startAgentApi } from './agent-api.js'

const docker = new Dockerode()
const engine = new DockerodeEngine(process.env.DOCKER_HOST || 'unix:///var/run/docker.sock')
const run = randomBytes(4).toString('hex')
const hostId = `agent-test-${run}`
const token = randomBytes(24).toString('base64url')

async function container(name: string, host: string, script: string) {
  const c = await docker.createContainer({
    name, Image: 'dokkaa/busybox:test', Cmd: ['sh', '-c', script],
    Labels: { [LABELS.host]: host, [LABELS.app]: 'agenttest', [LABELS.name]: 'x', [LABELS.instance]: '0' },
  })
  await c.start()
  return c
}

t.test('serves logs of its own containers only, to the token holder', async t => {
  const mine = await container(`agenttest---${run}`, hostId, 'echo one; echo two >&2; sleep 1; echo three; sleep 300')
  const theirs = await container(`agenttest---${run}---1`, `${hostId}-other`, 'echo secret; sleep 300')
  const api = await startAgentApi({ engine, hostId, listen: { host: '127.0.0.1', port: 0 }, token })
  t.teardown(async () => {
    await api.close()
    await Promise.all([mine, theirs].map(c => c.remove({ force: true })))
  })
  const auth = { authorization: `Bearer ${token}` }

  t.equal((await fetch(`${api.url}/v1/logs/agenttest---${run}`)).status, 401)
  t.equal((await fetch(`${api.url}/v1/logs/agenttest---${run}`, { headers: { authorization: 'Bearer nope' } })).status, 401)
  t.equal((await fetch(`${api.url}/v1/logs/agenttest---${run}---1`, { headers: auth })).status, 404, "another host's container is not found")
  t.equal((await fetch(`${api.url}/v1/logs/no-such-${run}`, { headers: auth })).status, 404)

  // wait for the output (no timed assertion: poll until it is there, within a generous limit)
  let text = ''
  for (let i = 0; i < 100 && !text.includes('three'); i++) {
    const res = await fetch(`${api.url}/v1/logs/agenttest---${run}?tail=10`, { headers: auth })
    t.equal(res.status, 200)
    text = await res.text()
    if (!text.includes('three')) await new Promise(r => setTimeout(r, 200))
  }
  // stdout and stderr are separate pipes, so their relative order is not guaranteed
  t.same(text.split('\n').sort(), ['', 'one', 'three', 'two'], 'stdout and stderr, demultiplexed')
  t.equal(await (await fetch(`${api.url}/v1/logs/agenttest---${run}?tail=1`, { headers: auth })).text(), 'three\n')

  // follow: the stream stays open and carries the tail
  const ctl = new AbortController()
  const res = await fetch(`${api.url}/v1/logs/agenttest---${run}?tail=2&follow=1`, { headers: auth, signal: ctl.signal })
  t.match(await readUntil(res.body!, got => got.includes('three')), /three\n$/, 'the tail arrives on the open stream')
  ctl.abort()
})
