// Keeps a conductor's etcd lease alive while the conductor itself is down for a restart
// (`certs rotate`): a node process can take longer to start than a lab's 5 s lease TTL, and
// a lease that runs out takes the host's record with it — the scheduler would then move
// every instance of that host. While the bridge holds the lease, the records stay; the new
// conductor registers under a lease of its own and takes them over, and the old lease ends
// a TTL after the bridge lets go. `etcdctl lease keep-alive`, as the admin (etcd root):
// the lease belongs to the conductor's user, which no one else may keep alive.
import { spawn } from 'node:child_process'
import type { EtcdTlsFiles } from '../kit/etcd-tls.js'
import { KeyLayout } from '../schemas/index.js'
import { hostStartedAt, waitForHostRestarted } from './drain.js'
import { ProvisionError } from './errors.js'
import { run } from './run-command.js'

export interface LeaseBridge { lease: string | undefined; stop(): void }

function etcdctlEnv(etcd: string[], tls: Required<EtcdTlsFiles>): NodeJS.ProcessEnv {
  return {
    ...process.env, ETCDCTL_API: '3', ETCDCTL_ENDPOINTS: etcd.join(','),
    ETCDCTL_CACERT: tls.ca, ETCDCTL_CERT: tls.client.cert, ETCDCTL_KEY: tls.client.key,
  }
}

/** Pure: the lease of the one key of `etcdctl get -w json` output, in hex as `lease keep-alive` takes it; undefined: no key or no lease. */
export function leaseOfGet(json: string): string | undefined {
  const kvs = (JSON.parse(json) as { kvs?: { lease?: number | string }[] }).kvs
  const lease = kvs?.[0]?.lease
  if (lease === undefined || lease === 0 || lease === '0') return undefined
  // etcdctl prints the id as a JSON number, which may exceed 2^53: read the digits, not a float.
  return BigInt(/"lease":\s*"?(\d+)/.exec(json)![1]!).toString(16)
}

/** Starts keeping `key`'s lease alive (nothing to do when the key has none). */
export async function bridgeLease(etcd: string[], tls: Required<EtcdTlsFiles>, key: string): Promise<LeaseBridge> {
  const env = etcdctlEnv(etcd, tls)
  const got = await run('etcdctl', ['get', key, '-w', 'json'], { env })
  const lease = leaseOfGet(got.stdout)
  if (!lease) return { lease, stop: () => {} }
  const child = spawn('etcdctl', ['lease', 'keep-alive', lease], { env, stdio: 'ignore' })
  child.on('error', () => {})
  if (child.pid === undefined) throw new ProvisionError(`cannot run etcdctl lease keep-alive ${lease}`, 'apt-get install etcd-client')
  return { lease, stop: () => { child.kill('SIGTERM') } }
}

export interface ConductorRestart {
  etcd: string[]
  /** The admin's TLS files (etcd root: may keep any lease alive). */
  tls: Required<EtcdTlsFiles>
  prefix: string
  hostId: string
  /** Stops the conductor and starts it again (the provider's way). */
  restart: () => Promise<void>
  /** Where to look when it does not come back. */
  logHint: string
}

/**
 * `certs rotate`'s conductor step, the same for every provider: the host's lease is held
 * while the conductor is down, and the step ends once the new conductor has registered
 * again (its host record's startedAt changed).
 */
export async function restartConductorKeepingLease(c: ConductorRestart): Promise<void> {
  const before = await hostStartedAt(c.etcd, c.prefix, c.hostId, c.tls)
  const bridge = await bridgeLease(c.etcd, c.tls, new KeyLayout(c.prefix).host(c.hostId))
  try {
    await c.restart()
    if (!await waitForHostRestarted(c.etcd, c.prefix, c.hostId, before, 60_000, c.tls)) {
      throw new ProvisionError(`the conductor of ${c.hostId} did not register again within 60 s after its restart`, c.logHint)
    }
  } finally {
    bridge.stop()
  }
}
