// Draining a host before it goes: once its conductor stops, its lease goes (at once on a
// clean shutdown, after the TTL otherwise) and the scheduler moves its assignments
// elsewhere. We wait for that so `up --scale` down never drops running instances on the
// floor while other hosts could take them.
import { createEtcdClient } from '../kit/etcd-client.js'
import { etcdConnection, type EtcdTlsFiles } from '../kit/etcd-tls.js'
import { kvOf } from '../kit/kv.js'
import { KeyLayout } from '../schemas/index.js'
import { waitUntil } from './processes.js'

/** `tls`: the cluster's etcd needs client certificates (kit/etcd-tls.ts); absent: plain http. */
export async function waitForHostDrained(etcd: string[], prefix: string, hostId: string, timeoutMs: number, tls?: EtcdTlsFiles): Promise<boolean> {
  const client = createEtcdClient({ ...etcdConnection(etcd, tls), dialTimeout: 2000 })
  const keys = new KeyLayout(prefix)
  const kv = kvOf(client)
  try {
    return await waitUntil(async () => {
      // A count, not a read of the assignments: each carries its spec, and a busy host's
      // could pass gRPC's 4 MiB message limit.
      const [host, assigned] = await Promise.all([
        kv.get(keys.host(hostId)),
        kv.count(keys.assignments(hostId)),
      ])
      return host === undefined && assigned === 0
    }, timeoutMs, 500)
  } finally {
    client.close()
  }
}

/** Waits until the conductor of `hostId` has registered under /hosts/. */
export async function waitForHostRegistered(etcd: string[], prefix: string, hostId: string, timeoutMs: number, tls?: EtcdTlsFiles): Promise<boolean> {
  const client = createEtcdClient({ ...etcdConnection(etcd, tls), dialTimeout: 2000 })
  try {
    const kv = kvOf(client)
    return await waitUntil(async () => (await kv.get(new KeyLayout(prefix).host(hostId))) !== undefined, timeoutMs, 300)
  } finally {
    client.close()
  }
}

/** The startedAt of the host's record (undefined: none), which a restarted conductor writes anew. */
export async function hostStartedAt(etcd: string[], prefix: string, hostId: string, tls?: EtcdTlsFiles): Promise<string | undefined> {
  const client = createEtcdClient({ ...etcdConnection(etcd, tls), dialTimeout: 2000 })
  try {
    return readStartedAt((await kvOf(client).get(new KeyLayout(prefix).host(hostId)))?.value)
  } finally {
    client.close()
  }
}

/** Waits until the host's record shows another startedAt than `before`: its conductor registered again. */
export async function waitForHostRestarted(etcd: string[], prefix: string, hostId: string, before: string | undefined, timeoutMs: number, tls?: EtcdTlsFiles): Promise<boolean> {
  const client = createEtcdClient({ ...etcdConnection(etcd, tls), dialTimeout: 2000 })
  try {
    const kv = kvOf(client)
    return await waitUntil(async () => {
      const now = readStartedAt((await kv.get(new KeyLayout(prefix).host(hostId)))?.value)
      return now !== undefined && now !== before
    }, timeoutMs, 250)
  } finally {
    client.close()
  }
}

function readStartedAt(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  try {
    const v = (JSON.parse(value) as { startedAt?: unknown }).startedAt
    return typeof v === 'string' ? v : undefined
  } catch {
    return undefined
  }
}
