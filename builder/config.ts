// From the command line's strings to a checked BuilderConfig. Pure; every problem is a
// FlagError naming the flag (kit/flags.ts), which main.ts prints as one line, exit 2.
import { join } from 'node:path'
import { FlagError, parseEtcdUrls, parseListen, parseLogLevel, parsePrefix, type LogLevel } from '../kit/flags.js'
import { DEFAULT_CLUSTER_KEY_FILE } from '../kit/secret-box.js'
import { parseEtcdTls, type EtcdTlsFiles, type EtcdTlsFlags } from '../kit/etcd-tls.js'
import { allOrNone } from '../kit/tls-flags.js'

/** The flags as commander hands them over: strings, absent when not given. */
export interface RawFlags extends EtcdTlsFlags {
  etcd?: string
  prefix?: string
  listen?: string
  dataDir?: string
  passwordFile?: string
  secureCookies?: boolean
  logLevel?: string
  clusterKeyFile?: string
  tlsCert?: string
  tlsKey?: string
  agentCa?: string
  agentCert?: string
  agentKey?: string
}

/** --tls-cert/--tls-key: the console and API over HTTPS. */
export const SERVER_TLS_FLAGS = { cert: '--tls-cert', key: '--tls-key' } as const
/** --agent-ca/--agent-cert/--agent-key: the builder as the conductors' agent APIs' mutual-TLS client. */
export const AGENT_CLIENT_FLAGS = { ca: '--agent-ca', cert: '--agent-cert', key: '--agent-key' } as const

export interface BuilderConfig {
  etcd: string[]
  /** --etcd-ca/--etcd-cert/--etcd-key, checked; read when the client is made. Undefined: plain http. */
  etcdTls?: EtcdTlsFiles
  prefix: string
  /** Port 0: any free port (the printed URL says which). */
  listen: { host: string; port: number }
  /** Where root's generated password is written on first start. */
  passwordFile: string
  /** Set by --secure-cookies, and always when serving HTTPS. */
  secureCookies: boolean
  /** Serve HTTPS with this certificate and key (read at start); undefined: plain http. */
  tls?: { cert: string; key: string }
  /** The CA of the conductors' agent certificates and the builder's client certificate (read at start); undefined: https agent URLs are refused. */
  agentTls?: { ca: string; cert: string; key: string }
  logLevel: LogLevel
  /** The cluster key secrets are sealed with; read at start (a missing one only disables secret writes). */
  clusterKeyFile: string
}

export const DEFAULTS = {
  etcd: 'http://127.0.0.1:2379',
  listen: '127.0.0.1:8080',
  passwordFile: '/var/lib/dokkaa/generated_password.txt',
  logLevel: 'info' as LogLevel,
  clusterKeyFile: DEFAULT_CLUSTER_KEY_FILE,
}

export function parseConfig(raw: RawFlags): BuilderConfig {
  // --data-dir is shorthand for the password file in it; the unit file passes
  // "--data-dir ${DOKKAA_DATA_DIR}", so an empty one means not given.
  const passwordFile = raw.dataDir ? join(raw.dataDir, 'generated_password.txt') : raw.passwordFile ?? DEFAULTS.passwordFile
  if (passwordFile.trim() === '') throw new FlagError('--password-file', 'must not be empty: give the file root\'s generated password is written to')
  // An empty value (a unit file's unset variable) means the default, as --data-dir does.
  const clusterKeyFile = raw.clusterKeyFile?.trim() || DEFAULTS.clusterKeyFile
  const etcd = parseEtcdUrls(raw.etcd, DEFAULTS.etcd)
  const tls = allOrNone({ cert: raw.tlsCert, key: raw.tlsKey }, SERVER_TLS_FLAGS, 'HTTPS for the console and API')
  // The agent APIs over HTTPS require the builder's client certificate: a CA alone cannot get through.
  const agentTls = allOrNone({ ca: raw.agentCa, cert: raw.agentCert, key: raw.agentKey }, AGENT_CLIENT_FLAGS, 'calling the conductors\' agent APIs over mutual TLS')
  return {
    etcd,
    etcdTls: parseEtcdTls(raw, etcd),
    prefix: parsePrefix(raw.prefix),
    listen: parseListen(raw.listen ?? DEFAULTS.listen),
    passwordFile,
    // A cookie sent over HTTPS is marked Secure: a browser then never sends it over plain http.
    secureCookies: (raw.secureCookies ?? false) || tls !== undefined,
    ...(tls ? { tls } : {}),
    ...(agentTls ? { agentTls } : {}),
    logLevel: parseLogLevel(raw.logLevel, DEFAULTS.logLevel),
    clusterKeyFile,
  }
}
