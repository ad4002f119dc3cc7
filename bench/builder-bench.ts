// Builder API throughput and latency: the status of 100 apps, read one app at a time
// (GET /api/v1/apps/<app>/web/status, rotating over the 100) and as one list
// (GET /api/v1/apps). In-process builder over the real etcd, under its own prefix,
// bearer-token auth as a script would use. The list runs twice: with the statuses still,
// and while --churn status records per second change (as schedulers write them), since
// the builder keeps the serialized list only until its copy of /apps changes.
// Goal: p99 under 50 ms.
//   node --import tsx bench/builder-bench.ts [--connections 10] [--seconds 10] [--churn 20]
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { Etcd3 } from 'etcd3'
// autocannon ships no types.
// @ts-expect-error no declaration file
import autocannon from 'autocannon'
import { KeyLayout, type StatusRecord } from '../schemas/index.js'
import { buildApp } from '../builder/app.js'
import { Accounts } from '../builder/store/accounts.js'
import { etcdKv } from '../kit/kv.js'

const { values } = parseArgs({ options: { connections: { type: 'string', default: '10' }, seconds: { type: 'string', default: '10' }, apps: { type: 'string', default: '100' }, churn: { type: 'string', default: '20' } } })
const connections = Number(values.connections)
const duration = Number(values.seconds)
const appCount = Number(values.apps)
const churn = Number(values.churn)

interface Result { requests: { average: number }; latency: { p50: number; p99: number; max: number }; errors: number; non2xx: number }

const client = new Etcd3({ hosts: (process.env['DOKKAA_TEST_ETCD'] ?? 'http://127.0.0.1:23790').split(',') })
const keys = new KeyLayout(`/bench-${randomBytes(4).toString('hex')}`)
const kv = etcdKv(client)
try {
  const accounts = new Accounts(kv, keys)
  await accounts.createUser('root', randomBytes(12).toString('hex'), true)
  const token = (await accounts.issueToken('root', 'bench', 'api')).plaintext
  const app = await buildApp({ client, keys })
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  const auth = { authorization: `Bearer ${token}` }
  const status = (revision: number): StatusRecord => ({ phase: 'Running', desired: 2, running: 2, revision, errors: [], problems: [], lastEvent: { at: new Date().toISOString(), message: 'all 2 instances running' }, updatedAt: new Date().toISOString() })
  for (let i = 0; i < appCount; i++) {
    const res = await app.inject({ method: 'PUT', url: `/api/v1/apps/app${i}/web/manifest`, headers: auth, payload: { image: 'nginx', scale: 2, services: { web: 80 } } })
    if (res.statusCode !== 201) throw new Error(`setup: ${res.statusCode} ${res.body}`)
    await kv.put(keys.status({ app: `app${i}`, name: 'web' }), JSON.stringify(status(1)))
  }

  const runOne = (title: string, opts: object): Promise<Result> => new Promise((resolve, reject) => {
    autocannon({ url: base, connections, duration, headers: auth, ...opts }, (err: Error | null, res: Result) => (err ? reject(err) : resolve(res)))
  })
  let n = 0
  const perApp = await runOne('status', {
    requests: [{ method: 'GET', setupRequest: (req: { path: string }) => ({ ...req, path: `/api/v1/apps/app${n++ % appCount}/web/status` }) }],
  })
  const list = await runOne('list', { requests: [{ method: 'GET', path: '/api/v1/apps' }] })
  let writes = 0
  const writer = setInterval(() => {
    void kv.put(keys.status({ app: `app${writes % appCount}`, name: 'web' }), JSON.stringify(status(2 + writes++)))
  }, 1000 / Math.max(churn, 0.001))
  const listChurn = churn > 0 ? await runOne('list+churn', { requests: [{ method: 'GET', path: '/api/v1/apps' }] }) : undefined
  clearInterval(writer)
  const row = (name: string, r: Result) =>
    `${name.padEnd(42)} ${r.requests.average.toFixed(0).padStart(7)} req/s   p50 ${String(r.latency.p50).padStart(3)} ms   p99 ${String(r.latency.p99).padStart(3)} ms   max ${r.latency.max} ms   errors ${r.errors + r.non2xx}`
  console.log(`builder bench: ${appCount} apps, ${connections} connections, ${duration} s each`)
  console.log(row(`GET /api/v1/apps/<app>/web/status (x${appCount})`, perApp))
  console.log(row(`GET /api/v1/apps (all ${appCount} with status)`, list))
  if (listChurn) console.log(row(`GET /api/v1/apps, ${churn} status writes/s`, listChurn))
  const worst = Math.max(perApp.latency.p99, list.latency.p99, listChurn?.latency.p99 ?? 0)
  console.log(`p99 goal < 50 ms: ${worst < 50 ? 'met' : 'MISSED'} (worst p99 ${worst} ms)`)
  await app.close()
} finally {
  await client.delete().prefix(`${keys.prefix}/`)
  client.close()
}
