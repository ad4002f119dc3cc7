// One builder: the etcd client, the fastify app, the first start's bootstrap (root and the
// agent token) and the listener. All or nothing: a failure half-way closes what was opened
// and throws — a FlagError when the --listen address cannot be listened on.
import { createEtcdClient } from '../kit/etcd-client.js'
import { etcdConnection } from '../kit/etcd-tls.js'
import { FlagError } from '../kit/flags.js'
import { etcdKv } from '../kit/kv.js'
import { KeyLayout } from '../schemas/index.js'
import { buildApp } from './app.js'
import { startTlsCertificates } from './acme/tls-manager.js'
import { ensureAgentToken, ensureRoot } from './bootstrap.js'
import type { BuilderConfig } from './config.js'
import { readBuilderTls } from './tls.js'
import { Accounts } from './store/accounts.js'

export interface RunningBuilder {
  /** The base URL it serves on (a wildcard address shown as 127.0.0.1). */
  url: string
  /** Whether this start created root (and wrote its password file). */
  createdRoot: boolean
  close(): Promise<void>
}

export async function startBuilder(config: BuilderConfig): Promise<RunningBuilder> {
  // --tls-*/--agent-* files, read before anything is opened: a bad one is a FlagError (exit 2).
  const tls = readBuilderTls(config)
  // kit's client: a too-large response is an answer (reads are paged), never a reason to open the circuit breaker.
  // The TLS files are read here: one that is missing or loose is a FlagError (exit 2).
  const client = createEtcdClient(etcdConnection(config.etcd, config.etcdTls))
  const keys = new KeyLayout(config.prefix)
  const kv = etcdKv(client)
  const app = await buildApp({ client, keys, logger: { level: config.logLevel }, secureCookies: config.secureCookies, clusterKeyFile: config.clusterKeyFile, https: tls.https, agentTls: tls.agent })
  // HTTPS for web services: orders and renews the web router's certificates over ACME (builder/acme/, docs/ambassador.md).
  const certificates = startTlsCertificates({ kv, keys, clusterKeyFile: config.clusterKeyFile, log: app.log })
  app.addHook('onClose', () => certificates.stop())
  const close = async (): Promise<void> => {
    // SSE streams would hold close() open forever; end them.
    app.server.closeAllConnections?.()
    await app.close().finally(() => client.close())
  }
  try {
    const { created } = await ensureRoot(new Accounts(kv, keys), config.passwordFile)
    await ensureAgentToken(kv, keys)
    const { host, port } = config.listen
    const address = await app.listen({ host, port }).catch((err: Error) => {
      throw new FlagError('--listen', `cannot listen on ${host}:${port}: ${err.message}`)
    })
    return { url: address.replace('://0.0.0.0', '://127.0.0.1').replace('://[::]', '://127.0.0.1'), createdRoot: created, close }
  } catch (err) {
    await close().catch(() => undefined)
    throw err
  }
}
