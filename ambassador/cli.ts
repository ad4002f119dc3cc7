// The command line: flags → config → a running ambassador, and the one place where
// errors become words and exit codes: 2 for anything the user must change (flags,
// addresses), 1 for trouble outside (etcd not answering).
import { Command, CommanderError, Option } from 'commander'
import { pino } from 'pino'
import { DEFAULT_DOMAIN } from '../schemas/index.js'
import { startAmbassador } from './ambassador.js'
import { DEFAULTS, LOG_LEVELS, parseConfig, type RawFlags } from './config.js'
import { AmbassadorError, BadFlagError, BindError, NoBridgeAddressError } from './errors.js'
import { realHostFacts, type HostFacts } from './host-facts.js'
import { FlagError, withEnvVars } from '../kit/flags.js'
import { addEtcdTlsOptions } from '../kit/etcd-tls.js'

export function buildProgram(): Command {
  return withEnvVars(addEtcdTlsOptions(new Command('dokkaa-ambassador')
    .description('DNS server, TCP proxy and web router for linked Dokkaa services (one per host)')
    .option('--etcd <urls>', 'etcd client URLs, comma-separated', DEFAULTS.etcd))
    .option('--prefix <prefix>', 'etcd key prefix shared with the conductors ("" = none)')
    .option('--domain <domain>', 'DNS domain of the services', DEFAULT_DOMAIN)
    .option('--dns-listen <addr[:port],...>', 'where DNS answers, UDP and TCP (default: docker bridge address and 127.0.0.1, port 53)')
    .option('--proxy-listen <addr,...>', 'addresses the service proxies listen on (default: docker bridge address and 127.0.0.1)')
    .option('--port-range <from-to>', 'stable service ports, as the scheduler allocates them', '20000-20999')
    .option('--upstream <ip[:port]|none>', 'DNS server for names outside the domain (default: first nameserver of /etc/resolv.conf)')
    .option('--upstream-timeout <ms>', 'how long to wait for the upstream before SERVFAIL', String(DEFAULTS.upstreamTimeoutMs))
    .option('--ttl <seconds>', 'TTL of DNS answers, and of negative answers', String(DEFAULTS.ttl))
    .option('--web-listen <addr[:port],...|none>', 'web router addresses (default: the default-route address and 127.0.0.1, port 80)')
    .option('--web-tls-listen <addr[:port],...|none>', 'HTTPS web router addresses (port 443 unless given); certificates by SNI from --tls-dir and from etcd', 'none')
    .option('--tls-dir <dir>', 'certificates of your own: <hostname>.crt and <hostname>.key, re-read when the directory changes')
    .option('--cluster-key-file <file>', 'the cluster key, to open the certificates the builder stores in etcd', DEFAULTS.clusterKeyFile)
    .option('--bridge-interface <name>', 'docker bridge interface whose address the defaults use', DEFAULTS.bridgeInterface)
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default(DEFAULTS.logLevel))
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) }))
}

/** Runs until SIGTERM/SIGINT; resolves with the exit status. */
export async function runCli(argv: string[], host: HostFacts = realHostFacts): Promise<number> {
  const program = buildProgram()
  let raw: RawFlags
  try {
    program.parse(argv)
    raw = program.opts<RawFlags>()
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2
    throw err
  }
  const log = pino({ name: 'dokkaa-ambassador', level: raw.logLevel ?? 'info' })
  try {
    const config = parseConfig(raw, host)
    const ambassador = await startAmbassador(config, log)
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve)
      process.once('SIGINT', resolve)
    })
    log.info('shutting down')
    await ambassador.close()
    return 0
  } catch (err) {
    // FlagError: a TLS file (--etcd-ca, --etcd-cert, --etcd-key) missing or readable by others.
    const userMustFix = err instanceof BadFlagError || err instanceof FlagError || err instanceof BindError || err instanceof NoBridgeAddressError
    const message = err instanceof AmbassadorError || err instanceof FlagError ? err.message : `unexpected failure: ${(err as Error)?.stack ?? String(err)}`
    process.stderr.write(`dokkaa-ambassador: ${message}\n`)
    log.flush?.()
    return userMustFix ? 2 : 1
  }
}
