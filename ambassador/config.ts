// From the command line's strings to a checked AmbassadorConfig. Pure, given the
// host facts; every problem is a BadFlagError naming the flag.
import { DEFAULT_DOMAIN, DEFAULT_PORT_RANGE, type PortRange } from '../schemas/index.js'
import { FlagError, LOG_LEVELS, parseEtcdUrls, parseLogLevel, parsePortRangeFlag, parsePrefix, type LogLevel } from '../kit/flags.js'
import { parseEtcdTls, type EtcdTlsFiles, type EtcdTlsFlags } from '../kit/etcd-tls.js'
import { DEFAULT_CLUSTER_KEY_FILE } from '../kit/secret-box.js'
import { BadFlagError, NoBridgeAddressError } from './errors.js'
import { parseResolvConf, type HostFacts } from './host-facts.js'
import { formatEndpoint, parseAddressList, parseEndpoint, parseEndpointList, type Endpoint } from './listen-address.js'

export { LOG_LEVELS, type LogLevel }

/** The flags as commander hands them over: strings, absent when not given. */
export interface RawFlags extends EtcdTlsFlags {
  etcd?: string
  prefix?: string
  domain?: string
  dnsListen?: string
  proxyListen?: string
  portRange?: string
  upstream?: string
  upstreamTimeout?: string
  ttl?: string
  webListen?: string
  webTlsListen?: string
  tlsDir?: string
  clusterKeyFile?: string
  bridgeInterface?: string
  logLevel?: string
}

export interface AmbassadorConfig {
  etcd: string[]
  /** --etcd-ca/--etcd-cert/--etcd-key, checked; read when the client is made. Undefined: plain http. */
  etcdTls?: EtcdTlsFiles
  prefix: string
  domain: string
  dnsListen: Endpoint[]
  proxyListen: string[]
  portRange: PortRange
  /** undefined: names outside the domain are refused. */
  upstream?: Endpoint
  upstreamTimeoutMs: number
  ttl: number
  /** Empty: no web router. */
  webListen: Endpoint[]
  /** Empty or absent: no HTTPS (docs/ambassador.md, "HTTPS for web services"). */
  webTlsListen?: Endpoint[]
  /** Bring-your-own certificates: <hostname>.crt and <hostname>.key. */
  tlsDir?: string
  /** Opens the certificates the builder stores in etcd; read at start when webTlsListen is set (default /etc/dokkaa/cluster.key). */
  clusterKeyFile?: string
  logLevel: LogLevel
}

export const DEFAULTS = {
  etcd: 'http://127.0.0.1:2379',
  dnsPort: 53,
  webPort: 80,
  webTlsPort: 443,
  clusterKeyFile: DEFAULT_CLUSTER_KEY_FILE,
  ttl: 5,
  upstreamTimeoutMs: 2000,
  bridgeInterface: 'docker0',
  logLevel: 'info' as LogLevel,
}

export function parseConfig(raw: RawFlags, host: HostFacts): AmbassadorConfig {
  try {
    return parseFlags(raw, host)
  } catch (err) {
    // The shared flag parsers (kit/flags.ts) speak FlagError; this catalogue's is BadFlagError.
    if (err instanceof FlagError) throw new BadFlagError(err.flag, err.message.slice(err.flag.length + 2))
    throw err
  }
}

function parseFlags(raw: RawFlags, host: HostFacts): AmbassadorConfig {
  const bridge = (): string => {
    const iface = raw.bridgeInterface ?? DEFAULTS.bridgeInterface
    const a = host.interfaceAddress(iface)
    if (!a) throw new NoBridgeAddressError(iface)
    return a
  }
  const etcd = parseEtcdUrls(raw.etcd, DEFAULTS.etcd)
  const etcdTls = parseEtcdTls(raw, etcd)
  const prefix = parsePrefix(raw.prefix)

  const domain = (raw.domain ?? DEFAULT_DOMAIN).toLowerCase().replace(/\.$/, '')
  if (!/^([a-z0-9]([a-z0-9-]*[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(domain)) {
    throw new BadFlagError('--domain', `"${raw.domain}" is not a domain name with at least two labels, like dokkaa.local`)
  }

  const dnsListen = parseEndpointList(raw.dnsListen ?? `${bridge()},127.0.0.1`, DEFAULTS.dnsPort, '--dns-listen')
  const proxyListen = parseAddressList(raw.proxyListen ?? `${bridge()},127.0.0.1`, '--proxy-listen')
  const portRange = parsePortRange(raw.portRange)

  let upstream: Endpoint | undefined
  const upstreamText = raw.upstream ?? parseResolvConf(host.resolvConf())
  if (upstreamText === undefined) {
    throw new BadFlagError('--upstream', 'no nameserver in /etc/resolv.conf to forward to; give --upstream ip[:port], or --upstream none')
  }
  if (upstreamText !== 'none') {
    upstream = parseEndpoint(upstreamText, 53, '--upstream')
    // Forwarding to ourselves would loop every query until it times out.
    if (dnsListen.some((e) => e.port === upstream!.port && e.address === upstream!.address)) {
      throw new BadFlagError('--upstream', `${formatEndpoint(upstream)} is one of this ambassador's own DNS addresses (--dns-listen); queries would loop`)
    }
  }

  const upstreamTimeoutMs = raw.upstreamTimeout === undefined ? DEFAULTS.upstreamTimeoutMs : positiveInt(raw.upstreamTimeout, '--upstream-timeout', 60000)
  const ttl = raw.ttl === undefined ? DEFAULTS.ttl : nonNegativeInt(raw.ttl.replace(/s$/, ''), '--ttl', 86400)

  let webListen: Endpoint[] = []
  if (raw.webListen !== 'none') {
    if (raw.webListen !== undefined) {
      webListen = parseEndpointList(raw.webListen, DEFAULTS.webPort, '--web-listen')
    } else {
      const iface = host.defaultRouteInterface()
      const publicAddress = iface ? host.interfaceAddress(iface) : undefined
      webListen = parseEndpointList([publicAddress, '127.0.0.1'].filter(Boolean).join(','), DEFAULTS.webPort, '--web-listen')
    }
  }
  const webTlsListen = raw.webTlsListen === undefined || raw.webTlsListen === 'none' ? [] : parseEndpointList(raw.webTlsListen, DEFAULTS.webTlsPort, '--web-tls-listen')
  if (webTlsListen.length > 0 && webListen.length === 0) {
    throw new BadFlagError('--web-tls-listen', 'needs the plain web router too (--web-listen): it answers the ACME challenges and redirects to HTTPS')
  }
  // The web router and a service proxy on one address and port would fight for it.
  for (const [flag, list] of [['--web-listen', webListen], ['--web-tls-listen', webTlsListen]] as const) {
    for (const w of list) {
      if (w.port >= portRange.from && w.port <= portRange.to) {
        throw new BadFlagError(flag, `port ${w.port} lies inside --port-range ${portRange.from}-${portRange.to}, where service proxies listen`)
      }
    }
  }
  const tlsDir = raw.tlsDir?.trim() || undefined
  if (tlsDir !== undefined && webTlsListen.length === 0) throw new BadFlagError('--tls-dir', 'serves certificates on the HTTPS listener: give --web-tls-listen too')
  // An empty value (a unit file's unset variable) means the default, as for the builder.
  const clusterKeyFile = raw.clusterKeyFile?.trim() || DEFAULTS.clusterKeyFile

  const logLevel = parseLogLevel(raw.logLevel, DEFAULTS.logLevel)

  return { etcd, etcdTls, prefix, domain, dnsListen, proxyListen, portRange, upstream, upstreamTimeoutMs, ttl, webListen, webTlsListen, tlsDir, clusterKeyFile, logLevel }
}

export function parsePortRange(text: string | undefined): PortRange {
  return text === undefined ? { ...DEFAULT_PORT_RANGE } : parsePortRangeFlag(text)
}

function nonNegativeInt(text: string, flag: string, max: number): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) > max) throw new BadFlagError(flag, `"${text}" is not a whole number from 0 to ${max}`)
  return Number(text)
}

function positiveInt(text: string, flag: string, max: number): number {
  const n = nonNegativeInt(text, flag, max)
  if (n === 0) throw new BadFlagError(flag, 'must be above 0')
  return n
}
