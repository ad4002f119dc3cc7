#!/usr/bin/env node
// dokkaa-builder: the web console and REST API over the cluster's etcd.
import { Command } from 'commander'
import { createEtcdClient } from '../kit/etcd-client.js'
import { KeyLayout } from '../schemas/index.js'
import { buildApp } from './app.js'
import { DEFAULT_PASSWORD_FILE, ensureAgentToken, ensureRoot, ROOT_USER } from './bootstrap.js'
import { Accounts } from './store/accounts.js'
import { etcdKv } from './store/kv.js'
import { join } from 'node:path'

const program = new Command('dokkaa-builder')
  .description('Web console and REST API (plus the etcd v2 keys API on /v2/keys/apps) for a Dokkaa cluster')
  .option('--etcd <urls>', 'etcd endpoints, comma separated', process.env['DOKKAA_ETCD'] ?? 'http://127.0.0.1:2379')
  .option('--prefix <prefix>', 'etcd key prefix of the cluster', process.env['DOKKAA_PREFIX'] ?? '')
  .option('--listen <host:port>', 'address to serve on', '127.0.0.1:8080')
  .option('--data-dir <dir>', 'directory for generated_password.txt')
  .option('--password-file <path>', 'where the generated root password is written', DEFAULT_PASSWORD_FILE)
  .option('--secure-cookies', 'mark the session cookie Secure (serve behind https)', false)
  .option('--log-level <level>', 'pino log level', 'info')
  .parse()

const opts = program.opts<{
  etcd: string; prefix: string; listen: string; dataDir?: string; passwordFile: string; secureCookies: boolean; logLevel: string
}>()

const [host, portText] = opts.listen.includes(':') ? [opts.listen.slice(0, opts.listen.lastIndexOf(':')), opts.listen.slice(opts.listen.lastIndexOf(':') + 1)] : ['127.0.0.1', opts.listen]
const port = Number(portText)
if (!host || !Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`dokkaa-builder: --listen must be host:port, got "${opts.listen}"`)
  process.exit(2)
}
const passwordFile = opts.dataDir ? join(opts.dataDir, 'generated_password.txt') : opts.passwordFile

// kit's client: a too-large response is an answer (reads are paged), never a reason to open the circuit breaker.
const client = createEtcdClient({ hosts: opts.etcd.split(',') })
const keys = new KeyLayout(opts.prefix)
const kv = etcdKv(client)
const app = await buildApp({ client, keys, logger: { level: opts.logLevel }, secureCookies: opts.secureCookies })

try {
  const { created } = await ensureRoot(new Accounts(kv, keys), passwordFile)
  await ensureAgentToken(kv, keys)
  if (created) console.log(`dokkaa-builder: created user "${ROOT_USER}"; its password is in ${passwordFile} (readable by root only)`)
  else console.log(`dokkaa-builder: user "${ROOT_USER}" exists; its generated password was written to ${passwordFile} on first start`)
} catch (err) {
  console.error(`dokkaa-builder: cannot reach etcd at ${opts.etcd}: ${(err as Error).message}`)
  process.exit(1)
}

const address = await app.listen({ host, port })
const shown = address.replace('://0.0.0.0', '://127.0.0.1').replace('://[::]', '://127.0.0.1')
console.log(`dokkaa-builder: console at ${shown}/console/ (log in as ${ROOT_USER}); API at ${shown}/api/v1, OpenAPI at ${shown}/api/v1/openapi.json`)

let closing = false
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (closing) return
    closing = true
    // SSE streams would hold close() open forever; end them.
    app.server.closeAllConnections?.()
    void app.close().finally(() => { client.close(); process.exit(0) })
  })
}
