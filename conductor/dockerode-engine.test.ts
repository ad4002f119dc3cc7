// The dockerode engine against a fake Docker engine on a unix socket: every way a pull
// can go wrong on the wire (a stream cut mid-way, a line that is not JSON, an error line,
// a redirect, an engine that refuses the connection) ends as a rejected pull with a
// reason — never an uncaught exception or unhandled rejection in the conductor. And an
// image outside Docker's reference grammar never reaches the engine at all.
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createTcpServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buffer } from 'node:stream/consumers'
import t from 'tap'
import type { TeardownHost } from '../test/support/teardown-host.js'
import { DockerodeEngine } from './dockerode-engine.js'
import { ConductorError } from './errors.js'

interface Fake {
  url: string
  requests: string[]
  close(): Promise<void>
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void

async function fakeEngine(t: TeardownHost, handler: Handler): Promise<Fake> {
  const dir = mkdtempSync(join(tmpdir(), 'dokkaa-fake-docker-'))
  const socket = join(dir, 'docker.sock')
  const requests: string[] = []
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`)
    handler(req, res)
  })
  server.listen(socket)
  await once(server, 'listening')
  const close = async () => {
    server.closeAllConnections()
    await new Promise(r => server.close(r))
    rmSync(dir, { recursive: true, force: true })
  }
  t.teardown(close)
  return { url: `unix://${socket}`, requests, close }
}

/** The image named in a pull request (?fromImage=...&tag=...). */
function pulled(req: IncomingMessage): string {
  const u = new URL(req.url ?? '/', 'http://x')
  return `${u.searchParams.get('fromImage')}:${u.searchParams.get('tag')}`
}

const pullHandler: Handler = (req, res) => {
  if (req.method !== 'POST' || !req.url?.startsWith('/images/create')) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"no such image"}')
    return
  }
  switch (pulled(req)) {
    case 'cut/mid-stream:1':
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"status":"Pulling from cut/mid-stream"}\n')
      setTimeout(() => res.socket?.destroy(), 20)
      return
    case 'junk/line:1':
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"status":"Pulling"}\n<html>not json</html>\n')
      setTimeout(() => res.end(), 20)
      return
    case 'error/line:1':
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"status":"Pulling"}\n{"errorDetail":{"message":"boom"},"error":"boom"}\n')
      return
    case 'redirect/away:1':
      res.writeHead(301, { location: 'http://bogus.invalid:1/elsewhere' }).end('moved')
      return
    case 'refused/registry:1':
      // What the engine says when the registry host refuses the connection.
      res.writeHead(500, { 'content-type': 'application/json' })
      res.end('{"message":"Get \\"https://127.0.0.1:9/v2/\\": dial tcp 127.0.0.1:9: connect: connection refused"}')
      return
    case 'torn/json:1':
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"status":"Pulling"}\n{"status":')
      return
    case 'ok/image:1':
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"status":"Pulling"}\n{"status":"Downloaded newer image for ok/image:1"}\n')
      return
    default:
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not found"}')
  }
}

const reason = async (p: Promise<unknown>): Promise<ConductorError> => {
  try {
    await p
  } catch (err) {
    return err as ConductorError
  }
  throw new Error('expected a rejection')
}

t.test('every broken pull rejects with a reason; nothing is thrown past the engine', async t => {
  const fake = await fakeEngine(t, pullHandler)
  const engine = new DockerodeEngine(fake.url)
  const progress: string[] = []
  const pull = (ref: string) => engine.pull(ref, e => progress.push(e.status))

  await pull('ok/image:1')
  t.ok(progress.some(p => p.includes('Downloaded newer image')), 'a good pull reports progress and resolves')

  const cases: [string, RegExp][] = [
    ['cut/mid-stream:1', /cannot pull image cut\/mid-stream:1: .*(aborted|socket|reset|ended|closed)/i],
    ['junk/line:1', /cannot pull image junk\/line:1: .*not JSON/i],
    ['error/line:1', /cannot pull image error\/line:1: boom/],
    ['redirect/away:1', /cannot pull image redirect\/away:1: .*301/],
    ['refused/registry:1', /cannot pull image refused\/registry:1: .*connection refused/],
    ['torn/json:1', /cannot pull image torn\/json:1: .*(ended|incomplete|not JSON)/i],
  ]
  for (const [ref, why] of cases) {
    const err = await reason(pull(ref))
    t.equal(err.code, 'DKA_CONDUCTOR_IMAGE_PULL_FAILED', `${ref}: DKA_CONDUCTOR_IMAGE_PULL_FAILED`)
    t.match(err.message, why, `${ref}: the reason says what happened`)
  }
  t.notOk(fake.requests.some(r => r.includes('bogus.invalid')), 'the redirect was not followed')
})

t.test('an image outside Docker\'s grammar never reaches the engine', async t => {
  const fake = await fakeEngine(t, pullHandler)
  const engine = new DockerodeEngine(fake.url)
  for (const image of ['../../etc/passwd', '../../127.0.0.1:9/path', 'UPPER/case', 'a b', '', 'x'.repeat(300)]) {
    const e1 = await reason(engine.imageExists(image))
    t.equal(e1.code, 'DKA_CONDUCTOR_INVALID_IMAGE', `imageExists(${JSON.stringify(image.slice(0, 20))}) refused`)
    const e2 = await reason(engine.pull(image, () => {}))
    t.equal(e2.code, 'DKA_CONDUCTOR_INVALID_IMAGE', `pull(${JSON.stringify(image.slice(0, 20))}) refused`)
    const e3 = await reason(engine.create({ name: 'x', image, env: [], labels: {}, exposedPorts: [], portBindings: {}, networkMode: 'bridge' }))
    t.equal(e3.code, 'DKA_CONDUCTOR_INVALID_IMAGE', `create with ${JSON.stringify(image.slice(0, 20))} refused`)
  }
  t.same(fake.requests, [], 'no request reached the engine')
})

t.test('an engine that refuses the connection is DOCKER_UNAVAILABLE, for pulls too', async t => {
  // A port that was just free: nothing listens there.
  const probe = createTcpServer().listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const port = (probe.address() as AddressInfo).port
  await new Promise(r => probe.close(r))
  const engine = new DockerodeEngine(`tcp://127.0.0.1:${port}`)
  t.equal((await reason(engine.pull('ok/image:1', () => {}))).code, 'DKA_CONDUCTOR_DOCKER_UNAVAILABLE')
  t.equal((await reason(engine.imageExists('ok/image:1'))).code, 'DKA_CONDUCTOR_DOCKER_UNAVAILABLE')
  t.equal((await reason(engine.info())).code, 'DKA_CONDUCTOR_DOCKER_UNAVAILABLE')
})

t.test('a redirect from the engine is an error, never followed to the host it names', async t => {
  // Where a followed redirect would land: count every connection.
  let connections = 0
  const target = createTcpServer(sock => { connections++; sock.destroy() }).listen(0, '127.0.0.1')
  await once(target, 'listening')
  t.teardown(() => new Promise(r => target.close(r)))
  const port = (target.address() as AddressInfo).port
  // Relative, the way an engine cleaning "/images/../../127.0.0.1:<port>/x/json" answers,
  // and absolute.
  for (const location of [`/127.0.0.1:${port}/x/json`, `http://127.0.0.1:${port}/x/json`, 'gopher://nowhere/']) {
    const fake = await fakeEngine(t, (_req, res) => { res.writeHead(301, { location }).end() })
    const engine = new DockerodeEngine(fake.url)
    const err = await reason(engine.info())
    t.match(err.message, /301/, `Location ${location}: an error naming the 301`)
    t.equal((await reason(engine.imageExists('ok/image:1'))).code, 'DKA_CONDUCTOR_DOCKER_ERROR')
    await fake.close()
  }
  await new Promise(r => setTimeout(r, 100))
  t.equal(connections, 0, 'nothing connected to the address a redirect named')
})

/** One frame of Docker's multiplexed log stream. */
function frame(kind: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text)
  const header = Buffer.alloc(8)
  header[0] = kind
  header.writeUInt32BE(payload.length, 4)
  return Buffer.concat([header, payload])
}

/** A fake engine with container "plain" (framed output) and "tty" (raw output); following keeps the stream open. */
function logsEngine(t: TeardownHost, followClosed: () => void): Promise<Fake> {
  return fakeEngine(t, (req, res) => {
    const m = /\/containers\/(plain|tty)\/(json|logs)/.exec(req.url ?? '')
    if (!m) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"No such container"}')
      return
    }
    const tty = m[1] === 'tty'
    if (m[2] === 'json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ Id: m[1], Config: { Tty: tty } }))
      return
    }
    const body = tty ? [Buffer.from('raw one\n'), Buffer.from('raw two\n')] : [frame(1, 'out one\n'), frame(2, 'err two\n')]
    res.writeHead(200, { 'content-type': tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream' })
    if (!new URL(req.url!, 'http://x').searchParams.get('follow')?.match(/^(1|true)$/)) {
      res.end(Buffer.concat(body))
      return
    }
    // Following: the first frame split across writes, then the stream stays open.
    const all = Buffer.concat(body)
    res.write(all.subarray(0, 5))
    setTimeout(() => res.write(all.subarray(5)), 20)
    res.on('close', followClosed)
  })
}

/** Reads until `until` arrived, leaving the stream open. */
function readUntil(stream: NodeJS.ReadableStream, until: string): Promise<string> {
  let text = ''
  return new Promise(resolve => {
    const onData = (chunk: Buffer) => {
      text += chunk.toString()
      if (!text.includes(until)) return
      stream.off('data', onData)
      resolve(text)
    }
    stream.on('data', onData)
  })
}

t.test('logs: stdout and stderr without frame headers; a TTY\'s output as it is; follow until aborted', async t => {
  let closed = 0
  const fake = await logsEngine(t, () => { closed++ })
  const engine = new DockerodeEngine(fake.url)
  t.equal((await buffer(await engine.logs('plain', { tail: 10, follow: false }))).toString(), 'out one\nerr two\n')
  t.equal((await buffer(await engine.logs('tty', { tail: 10, follow: false }))).toString(), 'raw one\nraw two\n')
  t.ok(fake.requests.some(r => /\/containers\/plain\/logs\?.*tail=10/.test(r)), 'the tail is passed on')

  for (const name of ['plain', 'tty']) {
    const ctl = new AbortController()
    const out = await engine.logs(name, { tail: 2, follow: true }, ctl.signal)
    const ended = new Promise(resolve => out.on('end', resolve))
    t.match(await readUntil(out, 'two\n'), name === 'tty' ? 'raw one\nraw two\n' : 'out one\nerr two\n', `${name}: the followed output arrives`)
    ctl.abort()
    out.resume()
    await ended
    t.pass(`${name}: aborting ends the stream`)
  }
  await new Promise(r => setTimeout(r, 50))
  t.equal(closed, 2, 'and closes the engine\'s connection')

  t.equal((await reason(engine.logs('gone', { tail: 1, follow: false }))).code, 'DKA_CONDUCTOR_DOCKER_NOT_FOUND')
})
