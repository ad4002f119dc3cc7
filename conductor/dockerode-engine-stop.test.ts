// The dockerode engine's part in graceful stops and health: stop and restart carry the
// grace period (Docker's `t`), rename asks for the new name, remove takes the container and
// never its volumes, and inspect reads the container's HEALTHCHECK and Docker's verdict of
// it. Against a fake engine on a unix socket.
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { dockerHealthOf, DockerodeEngine } from './dockerode-engine.js'

function inspectBody(health: unknown, test: string[] | undefined): string {
  return JSON.stringify({
    Id: 'c1', Name: '/a---web', Created: '2025-01-01T00:00:00Z',
    Config: { Labels: {}, ...(test ? { Healthcheck: { Test: test } } : {}) },
    State: { Status: 'running', Running: true, ExitCode: 0, StartedAt: '2025-01-01T00:00:01Z', FinishedAt: '0001-01-01T00:00:00Z', ...(health ? { Health: health } : {}) },
    NetworkSettings: { Ports: {}, Networks: {} }, HostConfig: { NetworkMode: 'bridge' },
  })
}

t.test('stop and restart pass the grace period; rename the name; inspect the HEALTHCHECK', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'dokkaa-fake-docker-'))
  const socket = join(dir, 'docker.sock')
  const requests: string[] = []
  let body = ''
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`)
    if (req.method === 'GET' && req.url?.endsWith('/json')) res.writeHead(200, { 'content-type': 'application/json' }).end(body)
    else res.writeHead(204).end()
  })
  server.listen(socket)
  await once(server, 'listening')
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise(r => server.close(r))
    rmSync(dir, { recursive: true, force: true })
  })
  const engine = new DockerodeEngine(`unix://${socket}`)
  await engine.stop('c1', 7)
  await engine.stop('c1')
  await engine.restart('c1', 2)
  await engine.rename('c1', 'a---web')
  await engine.remove('c1')
  t.same(requests, [
    'POST /containers/c1/stop?t=7', 'POST /containers/c1/stop', 'POST /containers/c1/restart?t=2', 'POST /containers/c1/rename?name=a---web',
    // Forced, without `v`: an instance's volumes outlive its containers (retain), and nothing else is asked to prune.
    'DELETE /containers/c1?force=true',
  ])

  body = inspectBody({ Status: 'unhealthy', FailingStreak: 3, Log: [{ ExitCode: 1, Output: 'down\n' }, { ExitCode: 0, Output: 'ok' }] }, ['CMD-SHELL', 'check'])
  t.match(await engine.inspect('c1'), { healthcheck: true, dockerHealth: { status: 'unhealthy', lastError: 'down' } })
  body = inspectBody(undefined, ['NONE'])
  const none = await engine.inspect('c1')
  t.equal(none?.healthcheck, undefined, 'a HEALTHCHECK switched off is none')
  t.equal(none?.dockerHealth, undefined)
})

t.test('dockerHealthOf: Docker\'s states; the last failure\'s output while not healthy', async t => {
  t.same(dockerHealthOf({ Status: 'healthy', FailingStreak: 0, Log: [{ Start: '', End: '', ExitCode: 1, Output: 'old failure' }] }), { status: 'healthy' })
  t.same(dockerHealthOf({ Status: 'starting', FailingStreak: 1, Log: [{ Start: '', End: '', ExitCode: 1, Output: 'x'.repeat(500) }] }), { status: 'starting', lastError: 'x'.repeat(200) })
  t.equal(dockerHealthOf({ Status: 'none', FailingStreak: 0, Log: [] }), undefined)
  t.equal(dockerHealthOf(undefined), undefined)
})
