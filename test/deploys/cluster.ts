// A one-host Dokkaa for the zero-downtime tests and the rollout benchmark: a real
// dokkaa-conductor (scheduling too) and a real dokkaa-ambassador on a private etcd prefix,
// a unique host id and free loopback ports (modelled on ambassador/crawler.e2e.test.ts).
// The ambassador's DNS, link proxy and web router listen on 127.0.0.1 only, and the
// containers get no ambassador DNS (--ambassador-address none): nothing competes with a
// Dokkaa installed on this machine. Users' requests go where a user's would: through the
// link proxy's stable port and the web router's Host header.
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type Docker from 'dockerode'
import type { InstanceRecord, Manifest, StatusRecord } from '../../schemas/index.js'
import { KeyLayout, LABELS, parsePortValue } from '../../schemas/index.js'
import { freeDnsPort, freePortBlock, freeTcpPort } from '../../ambassador/testing/fixtures.js'
import { listByLabel, removeContainersByLabel, testDocker } from '../support/docker.js'
import { testEtcd, type TestEtcd } from '../support/etcd.js'
import { startTsProcess, type StartedProcess } from '../support/processes.js'
import type { TeardownHost } from '../support/teardown-host.js'
import { waitFor } from '../support/wait-for.js'
import { tempClusterKeyFile } from '../support/cluster-key.js'

export const DOMAIN = 'dokkaa.local'

export interface ClusterOptions {
  /** The engine the conductor drives (default: the bed's, via DOCKER_HOST or the socket). */
  docker?: { url: string; client: Docker }
  /** Where published ports bind and where the ambassador reaches instances (default 127.0.0.1). */
  hostAddress?: string
  /** The cluster key the conductor opens secrets and registry credentials with (default: a test's own). */
  clusterKeyFile?: string
}

export interface Cluster {
  etcd: TestEtcd
  keys: KeyLayout
  hostId: string
  /** A unique app name: every manifest of the cluster lives under it. */
  app: string
  docker: Docker
  dnsPort: number
  webPort: number
  conductor: StartedProcess
  ambassador: StartedProcess
  put(name: string, manifest: Manifest): Promise<void>
  remove(name: string): Promise<void>
  manifestText(name: string): Promise<string | null>
  status(name: string): Promise<StatusRecord | undefined>
  instances(name: string): Promise<InstanceRecord[]>
  /** This manifest's containers, running or not. */
  containers(name: string): Promise<Docker.ContainerInfo[]>
  /** The link proxy's stable port of a service, once the ambassador accepts connections on it. */
  proxyPort(name: string, service: string, timeoutMs?: number): Promise<number>
  /** The Host header the web router serves this app under. */
  webHost(): string
  /** Both processes' output, for assertion messages. */
  output(): string
}

/** Starts the ambassador, then the conductor; `t`'s teardown stops them and removes what they made. */
export async function startCluster(t: TeardownHost, opts: ClusterOptions = {}): Promise<Cluster> {
  const etcd = testEtcd(t)
  const keys = new KeyLayout(etcd.prefix)
  const hostId = `zd-${randomBytes(3).toString('hex')}`
  const app = `zd${randomBytes(3).toString('hex')}`
  const docker = opts.docker?.client ?? testDocker()
  const hostAddress = opts.hostAddress ?? '127.0.0.1'
  const range = await freePortBlock()
  const dnsPort = await freeDnsPort()
  const webPort = await freeTcpPort()
  // Teardowns run last-registered first: processes stop, then containers go, then keys.
  t.teardown(() => removeContainersByLabel(LABELS.host, hostId, docker))
  t.teardown(() => rmSync(join(tmpdir(), `dokkaa-test-secrets-${hostId}`), { recursive: true, force: true }))

  const ambassador = startTsProcess('ambassador/main.ts', [
    '--etcd', etcd.hosts.join(','), '--prefix', etcd.prefix, '--domain', DOMAIN,
    '--dns-listen', `127.0.0.1:${dnsPort}`, '--proxy-listen', '127.0.0.1', '--web-listen', `127.0.0.1:${webPort}`,
    '--port-range', `${range.from}-${range.to}`, '--upstream', 'none',
  ], {}, { t, name: 'ambassador' })
  await ambassador.waitForLine('ambassador ready', { timeoutMs: 30_000 })
  const conductor = startTsProcess('conductor/main.ts', [
    '--etcd', etcd.hosts.join(','), '--prefix', etcd.prefix, '--host-id', hostId,
    '--host-address', hostAddress, '--port-range', `${range.from}-${range.to}`, '--resync', '2',
    '--ambassador-address', 'none', '--agent-listen', 'none',
    // Never the installed Dokkaa's key or secrets dir.
    '--cluster-key-file', opts.clusterKeyFile ?? tempClusterKeyFile(t), '--secrets-dir', join(tmpdir(), `dokkaa-test-secrets-${hostId}`),
    ...(opts.docker ? ['--docker', opts.docker.url] : []),
  ], {}, { t, name: 'conductor' })

  const readJson = async <T>(key: string): Promise<T | undefined> => {
    const v = await etcd.client.get(key).string()
    return v === null ? undefined : JSON.parse(v) as T
  }
  const cluster: Cluster = {
    etcd, keys, hostId, app, docker, dnsPort, webPort, conductor, ambassador,
    async put(name, manifest) {
      await etcd.client.put(keys.manifest({ app, name })).value(JSON.stringify(manifest))
    },
    async remove(name) {
      await etcd.client.delete().key(keys.manifest({ app, name }))
    },
    manifestText: name => etcd.client.get(keys.manifest({ app, name })).string(),
    status: name => readJson<StatusRecord>(keys.status({ app, name })),
    async instances(name) {
      const all = await etcd.client.getAll().prefix(keys.instancesOf({ app, name })).strings()
      return Object.values(all).map(v => JSON.parse(v) as InstanceRecord)
    },
    async containers(name) {
      return (await listByLabel(LABELS.host, hostId, docker)).filter(c => c.Labels[LABELS.app] === app && c.Labels[LABELS.name] === name)
    },
    async proxyPort(name, service, timeoutMs = 60_000) {
      const port = await waitFor(async () => parsePortValue(await etcd.client.get(keys.port(app, service)).string() ?? ''),
        { timeoutMs, what: `a stable port for ${app}/${service}` })
      await waitFor(() => accepts('127.0.0.1', port), { timeoutMs, what: `the link proxy of ${app}/${service} listening on ${port}` })
      return port
    },
    webHost: () => `${app}.${DOMAIN}`,
    output: () => `--- conductor:\n${conductor.output().split('\n').slice(-120).join('\n')}\n--- ambassador:\n${ambassador.output().split('\n').slice(-30).join('\n')}`,
  }
  return cluster
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise(resolve => {
    const s = connect({ host, port }, () => { s.destroy(); resolve(true) })
    s.on('error', () => resolve(false))
  })
}
