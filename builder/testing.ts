// Test fixture (for the builder's *.test.ts, and dokkaacfg's CLI tests that need a real
// builder process): a builder app in-process over the real etcd under a fresh prefix, a
// root user with a known password, and request helpers; and a real dokkaa-builder process,
// with an HTTP client that sends paths exactly as written (`curl --path-as-is`), for what
// only the wire shows.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { createEtcdClient } from '../kit/etcd-client.js'
import { KeyLayout } from '../schemas/index.js'
import { testEtcd, type TestEtcd } from '../test/support/etcd.js'
import { startTsProcess, type StartedProcess } from '../test/support/processes.js'
import type { TeardownHost } from '../test/support/teardown-host.js'
import { waitFor } from '../test/support/wait-for.js'
import { tempClusterKeyFile } from '../test/support/cluster-key.js'
import { buildApp, type BuildAppOptions } from './app.js'
import { Accounts } from './store/accounts.js'
import { etcdKv, type Kv } from '../kit/kv.js'

export interface BuilderFixture {
  app: FastifyInstance
  etcd: TestEtcd
  keys: KeyLayout
  kv: Kv
  accounts: Accounts
  rootPassword: string
  /** The cluster key file the builder seals secrets with (a fresh one, mode 0600, unless opts named one). */
  clusterKeyFile: string
  /** Basic auth header for user:secret. */
  basic(user: string, secret: string): string
  /** An API token for the user (created directly in the store). */
  tokenFor(user: string): Promise<string>
  /** Creates a user with a password and returns a bearer header for them. */
  user(name: string, admin?: boolean): Promise<{ authorization: string }>
  req(opts: InjectOptions & { auth?: { authorization: string } }): Promise<LightMyRequestResponse>
  root: { authorization: string }
}

export function basicAuth(user: string, secret: string): string {
  return `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`
}

export async function builderFixture(t: TeardownHost, opts: Partial<BuildAppOptions> = {}): Promise<BuilderFixture> {
  const etcd = testEtcd(t)
  const keys = new KeyLayout(etcd.prefix)
  const kv = etcdKv(etcd.client)
  const accounts = new Accounts(kv, keys)
  const rootPassword = 'root-password-for-tests'
  await accounts.createUser('root', rootPassword, true)
  // The builder under test gets the client dokkaa-builder makes (kit/etcd-client.ts).
  const client = createEtcdClient({ hosts: etcd.hosts })
  const clusterKeyFile = opts.clusterKeyFile ?? await tempClusterKey(t)
  const app = await buildApp({ client, keys, ...opts, clusterKeyFile })
  t.teardown(async () => { await app.close(); client.close() })
  const tokenFor = async (user: string) => (await accounts.issueToken(user, 'test', 'api')).plaintext
  return {
    app, etcd, keys, kv, accounts, rootPassword, clusterKeyFile, basic: basicAuth, tokenFor,
    root: { authorization: `Bearer ${await tokenFor('root')}` },
    async user(name, admin = false) {
      await accounts.createUser(name, `${name}-password`, admin)
      return { authorization: `Bearer ${await tokenFor(name)}` }
    },
    req({ auth, headers, ...rest }) {
      return app.inject({ ...rest, headers: { ...headers, ...auth } })
    },
  }
}

/** A fresh cluster key file (32 random bytes in base64, mode 0600) in a temp dir removed at teardown. */
export async function tempClusterKey(t: TeardownHost): Promise<string> {
  return tempClusterKeyFile(t)
}

export const nginx = { image: 'nginx', scale: 1, services: { nginx: 80 } }

export interface RawResponse { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/**
 * One HTTP request with the path sent byte for byte as given (no URL normalization, unlike
 * fetch or inject, which turn "/a/../b" into "/b"), optionally from another loopback address.
 */
export function rawRequest(base: string, opts: {
  method: string; path: string; headers?: Record<string, string>; body?: string | Buffer; localAddress?: string; timeoutMs?: number
}): Promise<RawResponse> {
  const url = new URL(base)
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: url.hostname, port: url.port, method: opts.method, path: opts.path, localAddress: opts.localAddress,
      headers: { ...(opts.body !== undefined ? { 'content-length': String(Buffer.byteLength(opts.body)) } : {}), ...opts.headers },
      timeout: opts.timeoutMs ?? 15_000,
    }, res => {
      const chunks: Buffer[] = []
      res.on('data', c => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`no answer to ${opts.method} ${opts.path} within ${opts.timeoutMs ?? 15_000} ms`)))
    req.on('error', reject)
    req.end(opts.body)
  })
}

export interface BuilderProcess {
  proc: StartedProcess
  url: string
  etcd: TestEtcd
  keys: KeyLayout
  kv: Kv
  rootPassword: string
  root: { authorization: string }
  /**
   * Creates a user through the API (as root) and an API token for them (basic auth with the
   * password, as `dokkaacfg login` does); returns a bearer header — a password check per
   * request would cost an scrypt each.
   */
  user(name: string): Promise<{ authorization: string }>
}

/** A real dokkaa-builder process (node --import tsx builder/main.ts) on its own prefix and port. */
export async function builderProcess(t: TeardownHost, opts: { etcd?: TestEtcd; args?: string[] } = {}): Promise<BuilderProcess> {
  const etcd = opts.etcd ?? testEtcd(t)
  const dir = await mkdtemp(join(tmpdir(), 'dokkaa-builder-test-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const passwordFile = join(dir, 'generated_password.txt')
  const proc = startTsProcess('builder/main.ts', [
    '--etcd', etcd.hosts.join(','), '--prefix', etcd.prefix, '--listen', '127.0.0.1:0',
    '--password-file', passwordFile, '--log-level', 'warn',
    ...(opts.args?.includes('--cluster-key-file') ? [] : ['--cluster-key-file', await tempClusterKey(t)]), ...(opts.args ?? []),
  ], {}, { t })
  const line = await proc.waitForLine(/console at http/, { timeoutMs: 60_000 })
  const url = /console at (http:\/\/[^/]+)\/console\//.exec(line)![1]!
  await waitFor(() => existsSync(passwordFile), { what: 'the generated password file' })
  const rootPassword = (await readFile(passwordFile, 'utf8')).trim()
  const root = { authorization: basicAuth('root', rootPassword) }
  const keys = new KeyLayout(etcd.prefix)
  return {
    proc, url, etcd, keys, kv: etcdKv(etcd.client), rootPassword, root,
    async user(name) {
      const password = `${name}-password-for-tests`
      const res = await fetch(`${url}/api/v1/users`, { method: 'POST', headers: { ...root, 'content-type': 'application/json' }, body: JSON.stringify({ name, password }) })
      if (res.status !== 201) throw new Error(`creating user ${name}: ${res.status} ${await res.text()}`)
      const tok = await fetch(`${url}/api/v1/tokens`, { method: 'POST', headers: { authorization: basicAuth(name, password), 'content-type': 'application/json' }, body: '{"name":"test"}' })
      if (tok.status !== 201) throw new Error(`a token for ${name}: ${tok.status} ${await tok.text()}`)
      return { authorization: `Bearer ${(await tok.json() as { token: string }).token}` }
    },
  }
}
