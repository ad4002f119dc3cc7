// Starts what the web router's TLS side reads: the cluster key (only with an HTTPS
// listener: it opens the certificates the builder stores in etcd), the etcd watch of
// challenges and certificates, and --tls-dir. A cluster key that cannot be read is
// logged, not fatal: --tls-dir certificates and plain HTTP keep working, and the log line
// says which file and what to do.
import type { Logger } from 'pino'
import type { Kv } from '../kit/kv.js'
import { ClusterKeyError, DEFAULT_CLUSTER_KEY_FILE, readClusterKey, type ClusterKey } from '../kit/secret-box.js'
import type { KeyLayout } from '../schemas/index.js'
import type { AmbassadorConfig } from './config.js'
import { EtcdUnavailableError } from './errors.js'
import { watchTlsDir } from './tls-dir.js'
import { TlsStore } from './tls-store.js'
import { startTlsWatch } from './tls-watch.js'

export interface RunningWebTls { store: TlsStore; close(): Promise<void> }

export async function startWebTls(config: AmbassadorConfig, kv: Kv, keys: KeyLayout, log: Logger): Promise<RunningWebTls> {
  const store = new TlsStore()
  const https = (config.webTlsListen ?? []).length > 0
  let clusterKey: ClusterKey | undefined
  const clusterKeyFile = config.clusterKeyFile ?? DEFAULT_CLUSTER_KEY_FILE
  if (https) {
    try {
      clusterKey = readClusterKey(clusterKeyFile)
    } catch (err) {
      if (!(err instanceof ClusterKeyError)) throw err
      log.error({ clusterKeyFile }, `certificates from etcd (ACME) cannot be served until the cluster key is fixed, then the ambassador restarted: ${err.message}`)
    }
  }
  const watch = await startTlsWatch({ kv, keys, store, log, certs: https, clusterKey }).catch((err) => {
    throw new EtcdUnavailableError(config.etcd.join(','), err)
  })
  try {
    const dir = config.tlsDir ? await watchTlsDir(config.tlsDir, store, log) : undefined
    return { store, close: async () => { dir?.close(); await watch.close() } }
  } catch (err) {
    await watch.close()
    throw err
  }
}
