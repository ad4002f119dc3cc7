// One ambassador: the table watch feeding the DNS server, the TCP proxy and the web
// router. startAmbassador binds everything or nothing: a failure half-way closes what
// was opened and throws the catalogued error.
import type { Etcd3 } from 'etcd3'
import { createEtcdClient } from '../kit/etcd-client.js'
import { etcdConnection } from '../kit/etcd-tls.js'
import { etcdKv } from '../kit/kv.js'
import type { Logger } from 'pino'
import { KeyLayout } from '../schemas/index.js'
import { Balancer, backendKey } from './balancer.js'
import type { AmbassadorConfig } from './config.js'
import { udpForwarder } from './dns-forwarder.js'
import { startDnsServer, type RunningDnsServer } from './dns-server.js'
import { EtcdUnavailableError } from './errors.js'
import { startHttpRouter, type RunningHttpRouter } from './http-router.js'
import { serviceId, type ServiceTable } from './service-table.js'
import { startTableWatch, type TableSnapshot, type TableWatch } from './table-watch.js'
import { TcpProxy } from './tcp-proxy.js'
import { startWebTls } from './web-tls-start.js'

export interface RunningAmbassador {
  current(): TableSnapshot
  /** Resolves once the proxy listeners match the current table. */
  settled(): Promise<void>
  /** Ports the proxy listens on now. */
  proxyPorts(): number[]
  close(): Promise<void>
}

/** How often listeners that failed to bind are tried again. */
const REBIND_INTERVAL_MS = 5000

export async function startAmbassador(config: AmbassadorConfig, log: Logger, client?: Etcd3): Promise<RunningAmbassador> {
  const ownClient = !client
  // The TLS files are read here; a missing or loose one is kit's FlagError (exit 2).
  const etcd = client ?? createEtcdClient({ ...etcdConnection(config.etcd, config.etcdTls), dialTimeout: 5000 })
  const keys = new KeyLayout(config.prefix, config.domain)
  const kv = etcdKv(etcd)
  const balancer = new Balancer()
  const closers: (() => Promise<void>)[] = []
  const closeAll = async (): Promise<void> => {
    for (const c of closers.reverse()) await c().catch((err) => log.warn({ err }, 'close failed'))
    if (ownClient) etcd.close()
  }

  let watch: TableWatch
  try {
    watch = await startTableWatch(kv, keys, log)
  } catch (err) {
    if (ownClient) etcd.close()
    throw new EtcdUnavailableError(config.etcd.join(','), err)
  }
  closers.push(() => watch.close())
  const table = (): ServiceTable => watch.current().table

  try {
    const dns: RunningDnsServer = await startDnsServer({
      endpoints: config.dnsListen, domain: config.domain, ttl: config.ttl,
      table: () => watch.current(),
      forwarder: config.upstream && udpForwarder(config.upstream, config.upstreamTimeoutMs),
      log,
    })
    closers.push(() => dns.close())

    if (config.webListen.length > 0) {
      // Challenges, certificates (etcd and --tls-dir): before the listeners, so the first request finds them.
      const tls = await startWebTls(config, kv, keys, log)
      closers.push(() => tls.close())
      const web: RunningHttpRouter = await startHttpRouter({ endpoints: config.webListen, domain: config.domain, table, balancer, log, tls: { endpoints: config.webTlsListen ?? [], store: tls.store } })
      closers.push(() => web.close())
    }

    const proxy = new TcpProxy({ addresses: config.proxyListen, table, balancer, log })
    closers.push(() => proxy.close())
    const waiting = new Set<string>()
    const onTable = (t: ServiceTable): void => {
      void proxy.sync(t)
      reportUnported(t, waiting, log)
      balancer.prune(
        new Set([...t.services.values()].map((e) => serviceId(e.app, e.service))),
        new Set([...t.services.values()].flatMap((e) => e.backends.map(backendKey))),
      )
    }
    watch.onChange(onTable)
    onTable(table())
    const rebind = setInterval(() => { void proxy.sync(table()) }, REBIND_INTERVAL_MS)
    rebind.unref()
    closers.push(async () => clearInterval(rebind))
    await proxy.sync(table())
    log.info({ services: table().services.size, revision: watch.current().revision }, 'ambassador ready')

    return {
      current: () => watch.current(),
      settled: () => proxy.sync(table()),
      proxyPorts: () => proxy.ports,
      close: closeAll,
    }
  } catch (err) {
    await closeAll()
    throw err
  }
}

// The scheduler allocates every service's stable port in the plan that first places it;
// a service that has instances and no port says something is off (no scheduler elected,
// or its range is full — the app's status says so then). Said once per service.
function reportUnported(table: ServiceTable, waiting: Set<string>, log: Logger): void {
  const now = new Set(table.unallocated().map((e) => serviceId(e.app, e.service)))
  for (const id of now) if (!waiting.has(id)) log.warn({ service: id }, 'service has instances but no stable proxy port yet; the scheduler allocates one')
  waiting.clear()
  for (const id of now) waiting.add(id)
}
