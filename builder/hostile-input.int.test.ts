// Hostile input against a real dokkaa-builder process on the real etcd: thousands of
// generated and mutated bodies, content types and paths through the REST and v2 APIs,
// then hundreds of junk values written straight into every prefix the builder reads.
// Never a 5xx, never a hang, and the builder answers afterwards.
import fc from 'fast-check'
import t from 'tap'
import { readFileSync } from 'node:fs'
import { builderProcess, rawRequest, type BuilderProcess, type RawResponse } from './testing.js'

const RUNS = Number(process.env.DOKKAA_FUZZ_RUNS ?? 1100)

const goodManifest = fc.record({
  image: fc.constantFrom('nginx', 'dokkaa/busybox:test', '127.0.0.1:5000/a/b:1', 'x@sha256:' + 'a'.repeat(64)),
  scale: fc.integer({ min: 0, max: 3 }),
  env: fc.dictionary(fc.constantFrom('A', 'B_1', 'PATH'), fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean())),
  services: fc.dictionary(fc.constantFrom('web', 'db', 'api'), fc.integer({ min: 1, max: 65535 })),
  links: fc.array(fc.constantFrom('web', 'db.fz', 'api.other', 'x.nobody'), { maxLength: 3 }),
  resources: fc.record({ memory: fc.constantFrom('64m', '1g', '512'), cpus: fc.double({ min: 0.1, max: 4, noNaN: true }) }, { requiredKeys: [] }),
  restart: fc.constantFrom('always', 'on-failure', 'never'),
  dockerflags: fc.record({ Tty: fc.boolean(), Init: fc.boolean(), NetworkMode: fc.constantFrom('bridge', 'none', 'host') }, { requiredKeys: [] }),
}, { requiredKeys: ['image'] })

const nestedText = fc.tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom('[', '{"a":')).map(([n, open]) =>
  open.repeat(n) + '1' + (open === '[' ? ']' : '}').repeat(n))

/** A body: a good manifest, one with a field replaced by anything, broken JSON, deep nesting, junk. */
const bodyText = fc.oneof(
  goodManifest.map(m => JSON.stringify(m)),
  fc.tuple(goodManifest, fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 6 })).map(([m, k, v]) => JSON.stringify({ ...m, [k]: v })),
  fc.tuple(goodManifest, fc.constantFrom('image', 'scale', 'env', 'services', 'links', 'resources', 'command', 'dockerflags', 'labels', '__proto__', 'constructor'), fc.anything({ maxDepth: 4 }))
    .map(([m, k, v]) => { try { return JSON.stringify({ ...m, [k]: v }) } catch { return '{}' } }),
  fc.tuple(goodManifest, fc.nat()).map(([m, cut]) => { const s = JSON.stringify(m); return s.slice(0, cut % (s.length + 1)) }),
  fc.jsonValue({ maxDepth: 5 }).map(v => JSON.stringify(v)),
  fc.string({ unit: 'binary', maxLength: 300 }),
  nestedText,
  fc.tuple(fc.string({ maxLength: 3 }), fc.integer({ min: 1, max: 400_000 })).map(([s, n]) => `{"image":"x","env":{"A":"${(s || 'y').repeat(n).slice(0, n).replace(/["\\]/g, '')}"}}`),
  fc.constantFrom('', 'null', '[]', '"{\\"image\\":\\"x\\"}"', '{"__proto__":{"admin":true},"image":"x"}', '{"image":"x","image":"y"}', '\u0000', '\ufeff{"image":"x"}'),
)

const contentType = fc.constantFrom(
  'application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream',
  'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'text/plain; charset=latin1', 'application/xml', undefined,
)

/** A path segment: mostly the caller's own app or the other user's, sometimes anything at all. */
const segment = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('fz', 'web', 'other') },
  { weight: 1, arbitrary: fc.string({ maxLength: 80 }).map(s => encodeURIComponent(s)) },
  { weight: 1, arbitrary: fc.constantFrom('..', '.', '%2e%2e', 'Fz', 'a--b', '%00', '%ff', '%', 'x%2Fy', 'a'.repeat(300)) },
)

function outcome(res: RawResponse | Error): string {
  return res instanceof Error ? `client error ${res.message}` : String(res.status)
}

async function send(b: BuilderProcess, auth: Record<string, string>, method: string, path: string, ct: string | undefined, body: string | undefined): Promise<RawResponse | Error> {
  return rawRequest(b.url, { method, path, body, headers: { ...auth, ...(ct ? { 'content-type': ct } : {}) }, timeoutMs: 20_000 })
    .catch((e: Error) => e)
}

t.test('hostile bodies and paths through the REST and v2 APIs', { timeout: 900_000 }, async t => {
  const b = await builderProcess(t)
  const rssStart = rssMiB(b.proc.pid)
  const alice = await b.user('alice')
  const bobUser = await b.user('bob')
  await fetch(`${b.url}/api/v1/apps/other/web/manifest`, { method: 'PUT', headers: { ...bobUser, 'content-type': 'application/json' }, body: '{"image":"nginx"}' })
  const auth = alice
  const failures: string[] = []
  let sent = 0
  const record = (what: string, res: RawResponse | Error) => {
    sent++
    if (res instanceof Error) {
      // The client refusing to send a path with raw control characters is not the server's doing.
      if (/unescaped characters|Invalid character/i.test(res.message)) return
      failures.push(`${what}: ${outcome(res)}`)
    } else if (res.status >= 500) failures.push(`${what}: ${res.status} ${res.body.slice(0, 200)}`)
  }

  await fc.assert(fc.asyncProperty(
    fc.constantFrom('PUT manifest', 'POST validate', 'POST scale', 'POST action', 'GET'), segment, segment, contentType, bodyText,
    async (route, app, name, ct, body) => {
      const [method, path] = route === 'PUT manifest' ? ['PUT', `/api/v1/apps/${app}/${name}/manifest`]
        : route === 'POST validate' ? ['POST', '/api/v1/validate']
        : route === 'POST scale' ? ['POST', `/api/v1/apps/${app}/${name}/scale`]
        : route === 'POST action' ? ['POST', `/api/v1/apps/${app}/${name}/actions/${name}`]
        : ['GET', `/api/v1/apps/${app}/${name}`]
      const res = await send(b, auth, method!, path!, ct, method === 'GET' ? undefined : body)
      record(`${method} ${path} (${ct}) ${body.slice(0, 60)}`, res)
      return true
    },
  ), { numRuns: RUNS })

  await fc.assert(fc.asyncProperty(
    fc.constantFrom('PUT form', 'PUT json', 'PUT query', 'GET', 'DELETE'), segment, segment, contentType, bodyText, fc.boolean(),
    async (how, app, name, ct, value, recursive) => {
      const path = `/v2/keys/apps/${app}/${name}/manifest`
      const res = how === 'PUT form' ? await send(b, auth, 'PUT', path, ct ?? 'application/x-www-form-urlencoded', `value=${encodeURIComponent(value)}`)
        : how === 'PUT json' ? await send(b, auth, 'PUT', path, ct ?? 'application/json', JSON.stringify({ value }))
        : how === 'PUT query' ? await send(b, auth, 'PUT', `${path}?value=${encodeURIComponent(value.slice(0, 4000))}`, undefined, undefined)
        : how === 'GET' ? await send(b, auth, 'GET', `/v2/keys/apps/${app}${recursive ? '?recursive=true' : ''}`, undefined, undefined)
        : await send(b, auth, 'DELETE', path, undefined, undefined)
      record(`${how} ${path} (${ct}) ${value.slice(0, 60)}`, res)
      return true
    },
  ), { numRuns: RUNS })

  t.ok(sent >= 2000, `${sent} hostile requests`)
  // The bound the README documents: 2,000 hostile requests grow the builder (run from
  // TypeScript through tsx, which alone takes ~150 MiB) by less than 150 MiB.
  const rss = rssMiB(b.proc.pid)
  t.ok(rss - rssStart < 150, `builder RSS ${rssStart} -> ${rss} MiB over the hostile requests (bound: +150 MiB)`)
  t.same(failures.slice(0, 20), [], 'no 5xx, no hang')
  t.equal(b.proc.exit(), undefined, 'the builder process is still running')
  t.equal((await fetch(`${b.url}/api/v1/apps`, { headers: auth })).status, 200, 'and answers')
  const other = await (await fetch(`${b.url}/api/v1/apps/other/web/manifest`, { headers: bobUser })).json()
  t.same(other, { image: 'nginx' }, "bob's app is as bob left it")
})

/** Junk values: anything JSON, records with the wrong types, deep, huge, not JSON at all. */
const junkValue = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map(v => JSON.stringify(v)),
  fc.string({ unit: 'binary', maxLength: 200 }),
  nestedText,
  fc.integer({ min: 1, max: 900_000 }).map(n => JSON.stringify({ user: 'x'.repeat(n) })),
  fc.record({
    user: fc.anything({ maxDepth: 2 }), name: fc.anything({ maxDepth: 2 }), admin: fc.anything({ maxDepth: 1 }), passwordHash: fc.anything({ maxDepth: 1 }),
    hash: fc.anything({ maxDepth: 1 }), kind: fc.anything({ maxDepth: 1 }), expiresAt: fc.anything({ maxDepth: 1 }), token: fc.anything({ maxDepth: 1 }),
    phase: fc.anything({ maxDepth: 1 }), running: fc.anything({ maxDepth: 1 }), errors: fc.anything({ maxDepth: 3 }), state: fc.anything({ maxDepth: 2 }),
    instances: fc.anything({ maxDepth: 3 }), host: fc.anything({ maxDepth: 1 }), ports: fc.anything({ maxDepth: 2 }), restarts: fc.anything({ maxDepth: 1 }),
    cpus: fc.anything({ maxDepth: 1 }), memory: fc.anything({ maxDepth: 1 }), labels: fc.anything({ maxDepth: 2 }), agentUrl: fc.anything({ maxDepth: 1 }),
    image: fc.anything({ maxDepth: 1 }), scale: fc.anything({ maxDepth: 1 }), quotas: fc.anything({ maxDepth: 3 }), limits: fc.anything({ maxDepth: 2 }),
    health: fc.oneof(fc.constantFrom('starting', 'healthy', 'unhealthy'), fc.anything({ maxDepth: 1 })), healthError: fc.anything({ maxDepth: 1 }), healthySince: fc.anything({ maxDepth: 1 }),
    rollout: fc.oneof(fc.anything({ maxDepth: 3 }), fc.record({ state: fc.oneof(fc.constantFrom('rolling', 'rolled-back'), fc.anything({ maxDepth: 1 })), from: fc.anything({ maxDepth: 2 }), to: fc.record({ revision: fc.anything({ maxDepth: 1 }) }), updated: fc.anything({ maxDepth: 1 }), total: fc.anything({ maxDepth: 1 }), reason: fc.anything({ maxDepth: 1 }) }, { requiredKeys: [] })),
  }, { requiredKeys: [] }).map(r => { try { return JSON.stringify(r) } catch { return '{}' } }),
)

t.test('junk written straight into every prefix the builder reads', { timeout: 600_000 }, async t => {
  const b = await builderProcess(t)
  const alice = await b.user('alice')
  for (const [auth, app] of [[b.root, 'rootapp'], [alice, 'fz']] as const) {
    await fetch(`${b.url}/api/v1/apps/${app}/web/manifest`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: '{"image":"nginx","scale":2}' })
  }
  const tok = await (await fetch(`${b.url}/api/v1/tokens`, { method: 'POST', headers: { ...alice, 'content-type': 'application/json' }, body: '{"name":"junk"}' })).json() as { id: string; token: string }
  const aliceBearer = { authorization: `Bearer ${tok.token}` }

  // Live streams open while the junk arrives: a bad value must not take the process down.
  const streams: AbortController[] = []
  for (const auth of [b.root, aliceBearer]) {
    const ctl = new AbortController()
    streams.push(ctl)
    const res = await fetch(`${b.url}/api/v1/events`, { headers: auth, signal: ctl.signal })
    t.equal(res.status, 200)
    void (async () => { try { for await (const _ of res.body as unknown as AsyncIterable<Uint8Array>) { /* drain */ } } catch { /* aborted */ } })()
  }
  t.teardown(() => { for (const c of streams) c.abort() })

  const K = b.keys
  const appName = fc.constantFrom('rootapp', 'fz', 'junk', 'Bad', 'a--b', '..')
  const keyOf = fc.oneof(
    fc.tuple(appName, fc.constantFrom('web', 'db', 'X'), fc.constantFrom('manifest', 'status', 'control', 'other')).map(([a, n, p]) => `${K.apps}${a}/${n}/${p}`),
    appName.map(a => K.owner(a)),
    fc.constantFrom('junk1', 'junk2', 'Bad', 'x--y').map(u => `${K.users}${u}`),
    fc.constantFrom('000000000001', 'abcdefabcdef', 'nothex', tok.id.replace(/.$/, c => (c === '0' ? '1' : '0'))).map(id => `${K.tokens}${id}`),
    fc.constantFrom(K.policy, K.agentToken),
    fc.constantFrom('h1', 'h2', 'Bad.Host', '..').map(h => K.host(h)),
    fc.tuple(appName, fc.constantFrom('web', 'db'), fc.integer({ min: 0, max: 3 })).map(([a, n, i]) => `${K.instances}${a}/${n}/${i}`),
    fc.tuple(fc.constantFrom('h1', 'h2'), appName, fc.integer({ min: 0, max: 2 })).map(([h, a, i]) => `${K.assignRoot}${h}/${a}/web/${i}`),
  )
  const junk = fc.sample(fc.tuple(keyOf, junkValue), { numRuns: 400, seed: Number(process.env.DOKKAA_FUZZ_SEED ?? 42) })
  for (const [key, value] of junk) await b.etcd.client.put(key).value(value)
  t.ok(junk.length >= 300, `${junk.length} junk values written`)

  const reads = [
    '/api/v1/apps', '/api/v1/apps/rootapp', '/api/v1/apps/fz', '/api/v1/apps/junk',
    ...['rootapp', 'fz', 'junk'].flatMap(a => ['web', 'db'].flatMap(n => [
      `/api/v1/apps/${a}/${n}`, `/api/v1/apps/${a}/${n}/manifest`, `/api/v1/apps/${a}/${n}/status`, `/api/v1/apps/${a}/${n}/state`,
      `/api/v1/apps/${a}/${n}/instances`, `/api/v1/apps/${a}/${n}/instances/0/state`, `/api/v1/apps/${a}/${n}/instances/0/logs`,
      `/v2/keys/apps/${a}/${n}/manifest`,
    ])),
    '/api/v1/hosts', '/api/v1/users', '/api/v1/tokens', '/api/v1/me', '/api/v1/session', '/v2/keys/apps?recursive=true', '/v2/keys/apps/fz',
  ]
  const failures: string[] = []
  for (const auth of [b.root, aliceBearer]) {
    for (const path of reads) {
      const res = await rawRequest(b.url, { method: 'GET', path, headers: auth, timeoutMs: 20_000 }).catch((e: Error) => e)
      if (res instanceof Error || res.status >= 500) failures.push(`GET ${path}: ${outcome(res)}`)
    }
    for (const path of ['/api/v1/apps/fz/web/actions/stop', '/api/v1/apps/fz/web/scale']) {
      const res = await rawRequest(b.url, { method: 'POST', path, headers: { ...auth, 'content-type': 'application/json' }, body: path.endsWith('scale') ? '{"delta":1}' : undefined, timeoutMs: 20_000 }).catch((e: Error) => e)
      if (res instanceof Error || res.status >= 500) failures.push(`POST ${path}: ${outcome(res)}`)
    }
  }
  t.same(failures, [], 'every read answers 2xx/4xx')
  const login = await fetch(`${b.url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'junk1', password: 'whatever' }) })
  t.equal(login.status, 401, 'logging in as a junk user record: 401')
  t.equal(b.proc.exit(), undefined, 'the builder process is still running')
  t.equal((await fetch(`${b.url}/healthz`)).status, 200)
  t.equal((await fetch(`${b.url}/api/v1/apps`, { headers: b.root })).status, 200)
})

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Math.round(Number(m[1]) / 1024) : Number.NaN
}
