// Flag values (already merged with their env vars by commander) checked and turned into
// the conductor's configuration. Pure: the machine's facts (hostname, interfaces) are
// passed in, so every rule is a unit test. A bad value is a BadFlagError naming the flag.
// The flags every part shares (--etcd, --prefix, --port-range, --log-level) are parsed by
// kit/flags.ts; its FlagError is translated into this catalogue's BadFlagError once, here.
import type { PortRange } from '../schemas/index.js'
import { DEFAULT_PORT_RANGE, parseDuration } from '../schemas/index.js'
import { FlagError, LOG_LEVELS, parseEtcdUrls, parsePortRangeFlag, parsePrefix, type LogLevel } from '../kit/flags.js'
import { DEFAULT_CLUSTER_KEY_FILE } from '../kit/secret-box.js'
import { parseEtcdTls, type EtcdTlsFiles, type EtcdTlsFlags } from '../kit/etcd-tls.js'
import { BadFlagError } from './errors.js'
import { parseAgentTls, type AgentTlsFiles, type AgentTlsFlags } from './agent-api/agent-tls.js'
import { DEFAULT_SECRETS_DIR } from './value-mounts.js'

export interface RawFlags extends EtcdTlsFlags, AgentTlsFlags {
  etcd?: string
  prefix?: string
  docker?: string
  hostId?: string
  hostAddress?: string
  labels?: string
  leaseTtl?: string
  resync?: string
  concurrency?: string
  scheduler?: boolean
  ambassadorAddress?: string
  portRange?: string
  logLevel?: string
  agentListen?: string
  network?: string
  drainDelay?: string
  clusterKeyFile?: string
  secretsDir?: string
  schedulerEtcdCert?: string
  schedulerEtcdKey?: string
}

export interface MachineFacts {
  hostname: string
  /** Non-internal IPv4 addresses, in interface order. */
  ipv4: string[]
}

export interface ConductorConfig {
  etcd: string[]
  /** --etcd-ca/--etcd-cert/--etcd-key, checked; read when the client is made. Undefined: plain http. */
  etcdTls?: EtcdTlsFiles
  /** The scheduler's own etcd identity (--scheduler-etcd-cert/-key, same CA): under etcd RBAC
   * only it may write assignments, so a conductor's own certificate cannot. Undefined: the conductor's. */
  schedulerEtcdTls?: EtcdTlsFiles
  prefix: string
  docker: string
  hostId: string
  hostAddress: string
  labels: Record<string, string>
  leaseTtl: number
  resyncMs: number
  concurrency: number
  scheduler: boolean
  /** 'auto': the docker bridge gateway, found at start; 'none': no DNS injection. */
  ambassadorAddress: string
  portRange: PortRange
  logLevel: LogLevel
  /** Docker network containers join ('bridge' = docker0). */
  network: string
  /** Where the agent API (logs for the builder) listens; undefined: not served. */
  agentListen?: { host: string; port: number }
  /** --agent-tls-cert/--agent-tls-key/--agent-client-ca: the agent API over HTTPS, mutual TLS. Undefined: plain http. */
  agentTls?: AgentTlsFiles
  /** Between withdrawing a serving container from SkyDNS and stopping it (ms). */
  drainDelayMs: number
  /** The cluster key that opens secrets (read at start; unreadable: only secrets' creates fail). */
  clusterKeyFile: string
  /** Where instances' secret and config files are written: must be a tmpfs for secrets. */
  secretsDir: string
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/
const HOST_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/

function number(flag: string, value: string | undefined, fallback: number, min: number, max: number, integer = true): number {
  if (value === undefined || value === '') return fallback
  const n = Number(value)
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    throw new BadFlagError(flag, `expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got "${value}"`)
  }
  return n
}

export function parseLabels(value: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {}
  for (const part of (value ?? '').split(',').map(p => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=')
    if (eq <= 0) throw new BadFlagError('labels', `expected k=v,k=v, got "${part}"`)
    labels[part.slice(0, eq).trim()] = part.slice(eq + 1).trim()
  }
  return labels
}

/** FROM-TO (kit/flags.ts); empty or absent: the default range. */
export function parsePortRange(value: string | undefined): PortRange {
  return value === undefined || value === '' ? { ...DEFAULT_PORT_RANGE } : parsePortRangeFlag(value)
}

const DOCKER_NETWORK = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/

export function parseNetwork(value: string | undefined): string {
  const network = value || 'bridge'
  if (!DOCKER_NETWORK.test(network) || network === 'host' || network === 'none') {
    throw new BadFlagError('network', `expected the name of a Docker bridge network (default "bridge"), got "${value}"`)
  }
  return network
}

/** "none", "PORT" (on the host address) or "IP:PORT"; default: the host address, a free port. */
export function parseAgentListen(value: string | undefined, hostAddress: string): { host: string; port: number } | undefined {
  if (value === 'none') return undefined
  const m = /^(?:(\d+\.\d+\.\d+\.\d+):)?(\d+)$/.exec((value ?? '0').trim())
  const port = Number(m?.[2])
  if (!m || port > 65535 || (m[1] && !IPV4.test(m[1]))) {
    throw new BadFlagError('agent-listen', `expected "none", a port, or IP:PORT like 10.0.0.5:7070, got "${value}"`)
  }
  return { host: m[1] ?? hostAddress, port }
}

const MAX_DRAIN_MS = 600_000

/** A duration ("2s", "500ms") or a number of seconds ("2", "0.5"); absent: 2 s. */
export function parseDrainDelay(value: string | undefined): number {
  if (value === undefined || value === '') return 2_000
  const text = value.trim()
  const ms = /^[0-9]+(\.[0-9]+)?$/.test(text) ? Number(text) * 1000 : parseDuration(text)
  if (ms === undefined || !Number.isFinite(ms) || ms > MAX_DRAIN_MS) {
    throw new BadFlagError('drain-delay', `expected a duration from 0s to 10m like "2s" or "500ms", got "${value}"`)
  }
  return Math.round(ms)
}

function absolutePath(flag: string, value: string | undefined, fallback: string): string {
  const path = value || fallback
  if (!path.startsWith('/') || path.includes('\0')) throw new BadFlagError(flag, `expected an absolute path, got "${path}"`)
  return path.length > 1 ? path.replace(/\/+$/, '') : path
}

export function buildConfig(raw: RawFlags, machine: MachineFacts): ConductorConfig {
  try {
    return build(raw, machine)
  } catch (err) {
    // The shared parsers speak FlagError ("--etcd: …"); this catalogue's is BadFlagError.
    if (err instanceof FlagError) throw new BadFlagError(err.flag.replace(/^--/, ''), err.message.slice(err.flag.length + 2))
    throw err
  }
}

function build(raw: RawFlags, machine: MachineFacts): ConductorConfig {
  const etcd = parseEtcdUrls(raw.etcd)
  const prefix = parsePrefix(raw.prefix)
  const docker = raw.docker || 'unix:///var/run/docker.sock'
  if (!/^(unix:\/\/\/|tcp:\/\/|\/)/.test(docker)) throw new BadFlagError('docker', `expected unix:///path/to/docker.sock or tcp://host:port, got "${docker}"`)
  const hostId = raw.hostId || machine.hostname
  if (!HOST_ID.test(hostId)) throw new BadFlagError('host-id', `expected letters, digits, '.', '_' or '-' (at most 63), got "${hostId}"`)
  const hostAddress = raw.hostAddress || machine.ipv4[0] || '127.0.0.1'
  if (!IPV4.test(hostAddress)) throw new BadFlagError('host-address', `expected an IPv4 address, got "${hostAddress}"`)
  const ambassadorAddress = raw.ambassadorAddress || 'auto'
  if (ambassadorAddress !== 'auto' && ambassadorAddress !== 'none' && !IPV4.test(ambassadorAddress)) {
    throw new BadFlagError('ambassador-address', `expected an IPv4 address, "auto" or "none", got "${ambassadorAddress}"`)
  }
  const logLevel = (raw.logLevel || 'info') as LogLevel
  if (!LOG_LEVELS.includes(logLevel)) throw new BadFlagError('log-level', `expected one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`)
  const etcdTls = parseEtcdTls(raw, etcd)
  const agentListen = parseAgentListen(raw.agentListen, hostAddress)
  const agentTls = parseAgentTls(raw, agentListen !== undefined)
  return {
    etcd, etcdTls, prefix,
    ...(schedulerTls(raw, etcdTls) ? { schedulerEtcdTls: schedulerTls(raw, etcdTls) } : {}), docker, hostId, hostAddress, ambassadorAddress, logLevel,
    labels: parseLabels(raw.labels),
    leaseTtl: number('lease-ttl', raw.leaseTtl, 3, 1, 3600),
    resyncMs: number('resync', raw.resync, 10, 0.1, 86400, false) * 1000,
    concurrency: number('concurrency', raw.concurrency, 16, 1, 256),
    scheduler: raw.scheduler !== false,
    portRange: parsePortRange(raw.portRange),
    agentListen, ...(agentTls ? { agentTls } : {}),
    network: parseNetwork(raw.network),
    drainDelayMs: parseDrainDelay(raw.drainDelay),
    clusterKeyFile: absolutePath('cluster-key-file', raw.clusterKeyFile, DEFAULT_CLUSTER_KEY_FILE),
    secretsDir: absolutePath('secrets-dir', raw.secretsDir, DEFAULT_SECRETS_DIR),
  }
}

/** The scheduler's client certificate: both files or neither, and only with TLS to etcd. */
function schedulerTls(raw: RawFlags, etcdTls: EtcdTlsFiles | undefined): EtcdTlsFiles | undefined {
  const cert = raw.schedulerEtcdCert?.trim() || undefined
  const key = raw.schedulerEtcdKey?.trim() || undefined
  if (!cert && !key) return undefined
  if (!cert || !key) {
    throw new BadFlagError(cert ? 'scheduler-etcd-key' : 'scheduler-etcd-cert', 'missing: the scheduler\'s client certificate and its key come together')
  }
  if (!etcdTls) throw new BadFlagError('scheduler-etcd-cert', 'the scheduler\'s own certificate is for an etcd with TLS: pass --etcd-ca and https:// --etcd endpoints')
  return { ca: etcdTls.ca, client: { cert, key } }
}
