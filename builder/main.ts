#!/usr/bin/env node
// dokkaa-builder: the web console and REST API over the cluster's etcd (docs/builder.md).
// The one place where errors become words and exit codes: 2 for a flag to fix (a bad value,
// an address that cannot be listened on), 1 when etcd does not answer or the password file
// cannot be written — one line on stderr each, never a stack trace.
import { Command, CommanderError } from 'commander'
import { isEtcdError } from '../kit/etcd-errors.js'
import { FlagError, LOG_LEVELS, withEnvVars } from '../kit/flags.js'
import { addEtcdTlsOptions } from '../kit/etcd-tls.js'
import { ROOT_USER } from './bootstrap.js'
import { DEFAULTS, parseConfig, type BuilderConfig, type RawFlags } from './config.js'
import { startBuilder } from './start.js'

const program = withEnvVars(addEtcdTlsOptions(new Command('dokkaa-builder')
  .description('Web console and REST API (plus the etcd v2 keys API on /v2/keys/apps) for a Dokkaa cluster')
  .option('--etcd <urls>', 'etcd endpoints, comma separated', DEFAULTS.etcd))
  .option('--prefix <prefix>', 'etcd key prefix of the cluster ("" = none)')
  .option('--listen <host:port>', 'address to serve on (port 0: any free port)', DEFAULTS.listen)
  .option('--data-dir <dir>', 'directory for generated_password.txt (instead of --password-file)')
  .option('--password-file <path>', 'where the generated root password is written', DEFAULTS.passwordFile)
  .option('--secure-cookies', 'mark the session cookie Secure (serve behind https; implied by --tls-cert)')
  .option('--tls-cert <file>', 'serve the console and API over HTTPS with this certificate (PEM; SANs: the addresses users reach it by); with --tls-key')
  .option('--tls-key <file>', 'private key (PEM, mode 0600) of --tls-cert')
  .option('--agent-ca <file>', 'CA (PEM) that signed the conductors\' agent API certificates: needed for https:// agent URLs; with --agent-cert and --agent-key')
  .option('--agent-cert <file>', 'client certificate (PEM, CN builder) shown to the conductors\' agent APIs (mutual TLS)')
  .option('--agent-key <file>', 'private key (PEM, mode 0600) of --agent-cert')
  .option('--log-level <level>', `log level: ${LOG_LEVELS.join(', ')}`, DEFAULTS.logLevel)
  .option('--cluster-key-file <path>', 'the cluster key secrets are sealed with (32 bytes in base64, mode 0600; without it secrets cannot be written)', DEFAULTS.clusterKeyFile)
  .exitOverride())

function fail(status: number, message: string): never {
  process.stderr.write(`dokkaa-builder: ${message}\n`)
  process.exit(status)
}

let config: BuilderConfig
try {
  config = parseConfig(program.parse().opts<RawFlags>())
} catch (err) {
  // commander has printed its own line (an unknown option, a missing value, or --help).
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2)
  if (err instanceof FlagError) fail(2, err.message)
  throw err
}

const builder = await startBuilder(config).catch((err: unknown) => {
  if (err instanceof FlagError) fail(2, err.message)
  if (isEtcdError(err)) fail(1, `cannot reach etcd at ${config.etcd.join(',')}: ${(err as Error).message}`)
  if ((err as NodeJS.ErrnoException).syscall) fail(1, `cannot write the root password to ${config.passwordFile}: ${(err as Error).message}`)
  throw err
})
if (builder.createdRoot) console.log(`dokkaa-builder: created user "${ROOT_USER}"; its password is in ${config.passwordFile} (readable by root only)`)
else console.log(`dokkaa-builder: user "${ROOT_USER}" exists; its generated password was written to ${config.passwordFile} on first start`)
const { url } = builder
console.log(`dokkaa-builder: console at ${url}/console/ (log in as ${ROOT_USER}); API at ${url}/api/v1, OpenAPI at ${url}/api/v1/openapi.json`)

let closing = false
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (closing) return
    closing = true
    void builder.close().finally(() => process.exit(0))
  })
}
