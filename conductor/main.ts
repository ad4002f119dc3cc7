#!/usr/bin/env node
// dokkaa-conductor: one per host. Registers the host, runs the host agent (and, unless
// --no-scheduler, campaigns for the cluster's scheduler), until SIGTERM/SIGINT.
import { hostname, networkInterfaces } from 'node:os'
import { Command, CommanderError, Option } from 'commander'
import { pino, type Logger } from 'pino'
import { KeyLayout } from '../schemas/index.js'
import { backoffDelay, RESYNC_BACKOFF } from '../kit/backoff.js'
import type { IOptions } from 'etcd3'
import { createEtcdClient } from '../kit/etcd-client.js'
import { FlagError, LOG_LEVELS, withEnvVars } from '../kit/flags.js'
import { addEtcdTlsOptions, etcdConnection } from '../kit/etcd-tls.js'
import { DEFAULT_CLUSTER_KEY_FILE, readClusterKey, type ClusterKey } from '../kit/secret-box.js'
import { Agent } from './agent.js'
import { buildConfig, type ConductorConfig, type RawFlags } from './config.js'
import { DockerodeEngine } from './dockerode-engine.js'
import { BadFlagError, isCode, type ConductorError } from './errors.js'
import { readAgentToken, startAgentApi, type RunningAgentApi } from './agent-api/agent-api.js'
import { readAgentTls, type AgentTlsMaterial } from './agent-api/agent-tls.js'
import { startScheduler, type RunningScheduler } from './scheduler/start-scheduler.js'
import { ValueFiles } from './value-files.js'
import { registryAuthFrom } from './registry-auth.js'
import { kvOf } from '../kit/kv.js'
import { DEFAULT_SECRETS_DIR } from './value-mounts.js'

const ETCD_CALL_DEADLINE_MS = 5000

function machineIpv4(): string[] {
  return Object.values(networkInterfaces()).flat()
    .filter(i => i && i.family === 'IPv4' && !i.internal)
    .map(i => i!.address)
}

/** The command line. Every flag also reads its DOKKAA_* env var (kit/flags.ts: --lease-ttl ↔
 * DOKKAA_LEASE_TTL, what the systemd unit and cloud-init set); --docker reads DOCKER_HOST. */
function buildProgram(): Command {
  return withEnvVars(addEtcdTlsOptions(new Command('dokkaa-conductor')
    .description('Makes this host\'s Docker engine match its assignments in etcd.')
    .option('--etcd <urls>', 'etcd endpoints, comma-separated'))
    .option('--prefix <prefix>', 'etcd key prefix ("" = none)')
    .addOption(new Option('--docker <url>', 'Docker engine: unix:///path or tcp://host:port').env('DOCKER_HOST'))
    .option('--host-id <id>', 'this host\'s id (default: hostname)')
    .option('--host-address <ip>', 'address published ports bind to (default: first non-internal IPv4)')
    .option('--labels <k=v,...>', 'host labels for placement constraints')
    .option('--lease-ttl <seconds>', 'host lease TTL (default 3)')
    .option('--resync <seconds>', 'full resync period (default 10)')
    .option('--concurrency <n>', 'Docker operations in flight at once (default 16)')
    .option('--no-scheduler', 'do not campaign for the cluster scheduler')
    .option('--scheduler-etcd-cert <file>', 'the scheduler\'s own etcd client certificate (same CA as --etcd-ca): under etcd RBAC only it may write assignments')
    .option('--scheduler-etcd-key <file>', 'private key (PEM, mode 0600) of --scheduler-etcd-cert')
    .option('--ambassador-address <ip|auto|none>', 'ambassador address given to containers (default auto: docker bridge gateway; none: no DNS injection)')
    .option('--port-range <from-to>', 'where the scheduler (when this conductor is elected) allocates stable proxy ports (default 20000-20999)')
    .option('--network <name>', 'Docker network containers join (default: bridge)')
    .option('--agent-listen <ip:port|port|none>', 'agent API for the builder (logs); default: host address, a free port')
    .option('--agent-tls-cert <file>', 'the agent API\'s server certificate (PEM; SAN: the --agent-listen address): serve HTTPS; with --agent-tls-key and --agent-client-ca')
    .option('--agent-tls-key <file>', 'private key (PEM, mode 0600) of --agent-tls-cert')
    .option('--agent-client-ca <file>', 'CA (PEM) that signed the builder\'s client certificate: the agent API requires it, and only CN "builder"')
    .option('--drain-delay <duration>', 'between withdrawing a container from DNS and stopping it (default 2s)')
    .option('--cluster-key-file <path>', `the cluster key that opens secrets (default ${DEFAULT_CLUSTER_KEY_FILE})`)
    .option('--secrets-dir <path>', `where instances' secret and config files are written; a tmpfs (default ${DEFAULT_SECRETS_DIR})`)
    .option('--log-level <level>', LOG_LEVELS.join('|'))
    .exitOverride()
    // Errors are printed by main, as one line in the conductor's own words.
    .configureOutput({ outputError: () => {} }))
}

function parseArgs(argv: string[]): ConductorConfig {
  const program = buildProgram()
  program.parse(argv)
  return buildConfig(program.opts<RawFlags>(), { hostname: hostname(), ipv4: machineIpv4() })
}

/** commander's "error: unknown option '--x'" as "--x: unknown option '--x'". */
function commanderProblem(err: CommanderError): string {
  const what = err.message.replace(/^error: /, '')
  const flag = /'(--?[a-zA-Z][\w-]*)/.exec(what)?.[1]
  return flag ? `${flag}: ${what}` : what
}

async function main(): Promise<void> {
  let config: ConductorConfig
  let etcd: ReturnType<typeof etcdConnection>
  let schedulerEtcd: ReturnType<typeof etcdConnection> | undefined
  let agentTls: AgentTlsMaterial | undefined
  try {
    config = parseArgs(process.argv)
    // The TLS files are read once, here: a missing or loose one is a flag to fix (exit 2).
    etcd = etcdConnection(config.etcd, config.etcdTls)
    if (config.agentTls) agentTls = readAgentTls(config.agentTls)
    if (config.schedulerEtcdTls) schedulerEtcd = etcdConnection(config.etcd, config.schedulerEtcdTls, undefined, { cert: '--scheduler-etcd-cert', key: '--scheduler-etcd-key' })
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode !== 0) process.stderr.write(`dokkaa-conductor: ${commanderProblem(err)}\n`)
      process.exit(err.exitCode === 0 ? 0 : 2)
    }
    if (err instanceof BadFlagError || err instanceof FlagError) {
      process.stderr.write(`dokkaa-conductor: ${err.message}\n`)
      process.exit(2)
    }
    throw err
  }

  const log = pino({ level: config.logLevel, base: { component: 'conductor', host: config.hostId } })
  // Every error is handled where it happens; these only make a bug that escapes anyway
  // show up as one JSON log line with the host id (then exit, as Node would), instead of a
  // bare stack trace on stderr.
  process.on('uncaughtException', err => {
    log.fatal({ err: err.message, stack: err.stack }, 'uncaught exception; exiting')
    process.exit(1)
  })
  process.on('unhandledRejection', reason => {
    log.fatal({ err: (reason as Error)?.message ?? String(reason), stack: (reason as Error)?.stack }, 'unhandled rejection; exiting')
    process.exit(1)
  })
  const engine = new DockerodeEngine(config.docker)
  // A deadline on every unary call: a frozen etcd (the TCP connection up, nothing answering)
  // must turn into errors the agent handles, not calls that hang until etcd returns.
  // createEtcdClient: a response too large for one gRPC message (a read over a prefix users
  // grew) must not open etcd3's circuit breaker and fail every other call with it.
  const callOptions: IOptions['defaultCallOptions'] = ctx => (ctx.isStream ? {} : { deadline: Date.now() + ETCD_CALL_DEADLINE_MS })
  const client = createEtcdClient({ ...etcd, defaultCallOptions: callOptions })
  // Under etcd RBAC the scheduler acts as itself (its own certificate), not as this host's conductor.
  const schedulerClient = schedulerEtcd ? createEtcdClient({ ...schedulerEtcd, defaultCallOptions: callOptions }) : client
  const keys = new KeyLayout(config.prefix)

  let ambassadorAddress: string | undefined
  if (config.ambassadorAddress === 'auto') {
    ambassadorAddress = await waitFor(log, `find the gateway of docker network ${config.network}`, () => engine.networkGateway(config.network))
    if (!ambassadorAddress) log.warn({ network: config.network }, 'the docker network has no gateway; containers get no ambassador DNS')
  } else if (config.ambassadorAddress !== 'none') {
    ambassadorAddress = config.ambassadorAddress
  }

  // The agent API gives the builder this host's logs without a Docker socket on the network.
  let agentApi: RunningAgentApi | undefined
  if (config.agentListen) {
    const listen = config.agentListen
    // A token record of the wrong shape is junk no retry fixes: run without the agent API.
    const token = await waitFor(log, 'read the agent token', () => readAgentToken(client, keys, { create: true })
      .catch(err => (isCode(err, 'DKA_CONDUCTOR_BAD_RECORD') ? err as ConductorError : Promise.reject(err))))
    if (typeof token === 'string') {
      agentApi = await startAgentApi({ engine, hostId: config.hostId, listen, token, tls: agentTls })
      log.info({ agentUrl: agentApi.url, mutualTls: agentTls !== undefined }, 'agent API listening')
    } else {
      log.error({ err: token.message }, 'the agent API stays off: the builder cannot read this host\'s logs')
    }
  }

  // Read once: without it this host still runs everything but instances with secrets, whose
  // creates fail with this reason in their records.
  let clusterKey: ClusterKey | Error
  try {
    clusterKey = readClusterKey(config.clusterKeyFile)
    log.info({ keyId: clusterKey.id, file: config.clusterKeyFile }, 'cluster key read')
  } catch (err) {
    clusterKey = err as Error
    log.warn({ err: clusterKey.message }, 'no cluster key: instances with secrets, and images from registries with stored credentials, cannot be created on this host')
  }
  const values = new ValueFiles({ baseDir: config.secretsDir, hostId: config.hostId, key: clusterKey })

  const agent = new Agent({
    client, keys, engine, log, ambassadorAddress, agentUrl: agentApi?.url, network: config.network, values,
    registryAuth: registryAuthFrom(kvOf(client), keys, clusterKey),
    hostId: config.hostId, hostAddress: config.hostAddress, labels: config.labels,
    leaseTtl: config.leaseTtl, resyncMs: config.resyncMs, concurrency: config.concurrency, drainMs: config.drainDelayMs,
  })

  let scheduler: RunningScheduler | undefined
  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    log.info({ signal }, 'stopping; containers keep running')
    await scheduler?.stop().catch(err => log.warn({ err: (err as Error).message }, 'scheduler stop failed'))
    await agent.stop()
    await agentApi?.close()
    if (schedulerClient !== client) schedulerClient.close()
    client.close()
    log.info('stopped')
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))

  log.info({ etcd: config.etcd, prefix: config.prefix, docker: config.docker, hostAddress: config.hostAddress, ambassadorAddress }, 'starting')
  await waitFor(log, 'start the host agent', () => agent.start())

  if (config.scheduler) {
    try {
      scheduler = startScheduler({ client: schedulerClient, keys, log: log.child({ part: 'scheduler' }), hostId: config.hostId, leaseTtl: config.leaseTtl, portRange: config.portRange })
    } catch (err) {
      log.error({ err: (err as Error).message }, 'the scheduler could not start; this host only runs its assignments')
    }
  }
}

/** Retries fn until it succeeds: a conductor started before Docker or etcd waits for them. */
async function waitFor<T>(log: Logger, what: string, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn()
    } catch (err) {
      const delay = backoffDelay(attempt, RESYNC_BACKOFF)
      log.warn({ err: (err as Error).message, code: (err as { code?: string }).code, retryInMs: delay }, `cannot ${what} yet; retrying`)
      await new Promise(r => setTimeout(r, delay))
    }
  }
}

main().catch(err => {
  process.stderr.write(`dokkaa-conductor: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
