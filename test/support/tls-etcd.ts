// An etcd of a test's own that demands client certificates (--client-cert-auth), on free
// loopback ports, with a throwaway CA (test-pki.ts); killed and removed at teardown. And
// kit's client made the way a Dokkaa process makes it from its --etcd-* flags.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Etcd3 } from 'etcd3'
import { freeTcpPort } from '../../ambassador/testing/fixtures.js'
import { createEtcdClient } from '../../kit/etcd-client.js'
import { etcdConnection, parseEtcdTls } from '../../kit/etcd-tls.js'
import { startProcess } from './processes.js'
import type { TeardownHost } from './teardown-host.js'
import { issueTestCert, tempTestCa, type CertFiles, type TestCa } from './test-pki.js'
import { waitFor } from './wait-for.js'

export interface TlsEtcd { url: string; ca: TestCa; client: CertFiles }

/** etcd with client-certificate authentication on free loopback ports; killed at teardown. */
export async function startTlsEtcd(t: TeardownHost): Promise<TlsEtcd> {
  const ca = await tempTestCa(t, 'etcd-ca')
  const server = await issueTestCert(ca, 'etcd-server', { use: 'server', sans: ['IP:127.0.0.1', 'DNS:localhost'] })
  const client = await issueTestCert(ca, 'dokkaa-client', { use: 'client' })
  const dir = await mkdtemp(join(tmpdir(), 'dokkaa-tls-etcd-'))
  const url = `https://127.0.0.1:${await freeTcpPort()}`
  const peer = `http://127.0.0.1:${await freeTcpPort()}`
  const proc = startProcess('/usr/bin/etcd', [
    '--name', 'default', '--data-dir', join(dir, 'data'),
    '--listen-client-urls', url, '--advertise-client-urls', url,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `default=${peer}`,
    '--cert-file', server.cert, '--key-file', server.key, '--client-cert-auth', '--trusted-ca-file', ca.cert,
    '--log-level', 'warn',
  ], {}, { t, name: `tls etcd ${url}` })
  // Registered after startProcess's own stop, so it runs first (teardowns run in reverse).
  t.teardown(async () => { await proc.stop('SIGKILL'); await rm(dir, { recursive: true, force: true }) })
  const probe = await clientWith(t, [url], client, ca)
  await waitFor(async () => (await probe.get('probe').string(), true), { timeoutMs: 30_000, what: `etcd on ${url}` })
  return { url, ca, client }
}

/** kit's client, as a Dokkaa process makes it from its flags. */
export async function clientWith(t: TeardownHost, urls: string[], client: CertFiles | undefined, ca: TestCa | undefined): Promise<Etcd3> {
  const tls = parseEtcdTls({ etcdCa: ca?.cert, etcdCert: client?.cert, etcdKey: client?.key }, urls)
  const c = createEtcdClient({ ...etcdConnection(urls, tls), dialTimeout: 1000 })
  t.teardown(() => c.close())
  return c
}
