// Test fixture (used by the builder's *.test.ts only): a builder app in-process over the
// real etcd under a fresh prefix, a root user with a known password, and request helpers.
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { KeyLayout } from '../schemas/index.js'
import { testEtcd, type TestEtcd } from '../test/support/etcd.js'
import type { TeardownHost } from '../test/support/teardown-host.js'
import { buildApp, type BuildAppOptions } from './app.js'
import { Accounts } from './store/accounts.js'
import { etcdKv, type Kv } from './store/kv.js'

export interface BuilderFixture {
  app: FastifyInstance
  etcd: TestEtcd
  keys: KeyLayout
  kv: Kv
  accounts: Accounts
  rootPassword: string
  /** Basic auth header for user:secret. */
  basic(user: string, secret: string): string
  /** An API token for the user (created directly in the store). */
  tokenFor(user: string): Promise<string>
  /** Creates a user with a password and returns a bearer header for them. */
  user(name: string, admin?: boolean): Promise<{ authorization: string }>
  req(opts: InjectOptions & { auth?: { authorization: string } }): Promise<LightMyRequestResponse>
  root: { authorization: string }
}

export async function builderFixture(t: TeardownHost, opts: Partial<BuildAppOptions> = {}): Promise<BuilderFixture> {
  const etcd = testEtcd(t)
  const keys = new KeyLayout(etcd.prefix)
  const kv = etcdKv(etcd.client)
  const accounts = new Accounts(kv, keys)
  const rootPassword = 'root-password-for-tests'
  await accounts.createUser('root', rootPassword, true)
  const app = await buildApp({ client: etcd.client, keys, ...opts })
  t.teardown(() => app.close())
  const basic = (user: string, secret: string) => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`
  const tokenFor = async (user: string) => (await accounts.issueToken(user, 'test', 'api')).plaintext
  return {
    app, etcd, keys, kv, accounts, rootPassword, basic, tokenFor,
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

export const nginx = { image: 'nginx', scale: 1, services: { nginx: 80 } }
