// Helpers for the scheduler's integration tests against the real etcd: hosts simulated
// the way a conductor registers them (a record under a lease) and instance reports
// written as a conductor writes them; everything read back as a user reads etcd.
import type { Lease } from 'etcd3'
import { pino, type Logger } from 'pino'
import {
  KeyLayout, type Assignment, type AppRef, type HostRecord, type InstanceRecord, type InstanceRef, type StatusRecord,
} from '../../schemas/index.js'
import { testEtcd, type TestEtcd } from '../../test/support/etcd.js'
import type { TeardownHost } from '../../test/support/teardown-host.js'
import { startScheduler, type RunningScheduler, type SchedulerOptions } from './start-scheduler.js'

export interface Cluster {
  etcd: TestEtcd
  keys: KeyLayout
  log: Logger
}

export function testCluster(t: TeardownHost): Cluster {
  const etcd = testEtcd(t)
  return { etcd, keys: new KeyLayout(etcd.prefix), log: pino({ level: process.env.DOKKAA_TEST_LOG ?? 'silent' }) }
}

export function scheduler(t: TeardownHost, c: Cluster, hostId: string, over: Partial<SchedulerOptions> = {}): RunningScheduler {
  const s = startScheduler({ client: c.etcd.client, keys: c.keys, log: c.log.child({ scheduler: hostId }), hostId, ...over })
  t.teardown(() => s.stop())
  return s
}

export interface FakeHost {
  id: string
  lease: Lease
  /** Writes the instance record a conductor would, under this host's lease (`over`: health and the like). */
  report(ref: InstanceRef, specHash: string, state?: InstanceRecord['state'], error?: string, over?: Partial<InstanceRecord>): Promise<void>
  /** Reports every assignment of this host as running with its spec. */
  reportAll(state?: InstanceRecord['state']): Promise<number>
}

/** Registers a host as its conductor would: /hosts/<id> under a lease of `ttl` seconds. */
export async function fakeHost(t: TeardownHost, c: Cluster, id: string, over: Partial<HostRecord> = {}, ttl = 2): Promise<FakeHost> {
  const lease = c.etcd.client.lease(ttl)
  lease.on('lost', () => undefined)
  t.teardown(() => lease.revoke().catch(() => undefined))
  const record: HostRecord = {
    id, address: '127.0.0.1', labels: {}, cpus: 4, memory: 8 * 1024 ** 3, engineVersion: '20.10.24',
    startedAt: new Date().toISOString(), ...over,
  }
  await lease.put(c.keys.host(id)).value(JSON.stringify(record))
  const report = async (ref: InstanceRef, specHash: string, state: InstanceRecord['state'] = 'running', error?: string, over: Partial<InstanceRecord> = {}) => {
    const rec: InstanceRecord = {
      host: id, hostAddress: record.address, containerId: `c-${ref.index}`, containerName: `${ref.app}---${ref.name}`,
      state, specHash, ports: {}, restarts: 0, updatedAt: new Date().toISOString(), ...(error ? { error } : {}), ...over,
    }
    await lease.put(c.keys.instance(ref)).value(JSON.stringify(rec))
  }
  return {
    id, lease, report,
    async reportAll(state = 'running') {
      const mine = (await assignments(c)).filter(a => a.host === id)
      for (const a of mine) await report(a, a.value.specHash, state)
      return mine.length
    },
  }
}

export interface StoredAssignment extends InstanceRef {
  host: string
  value: Assignment
}

export async function assignments(c: Cluster, ref?: AppRef): Promise<StoredAssignment[]> {
  const all = await c.etcd.client.getAll().prefix(c.keys.assignRoot).strings()
  return Object.entries(all)
    .map(([k, v]) => ({ ...c.keys.parseAssignment(k)!, value: JSON.parse(v) as Assignment }))
    .filter(a => !ref || (a.app === ref.app && a.name === ref.name))
    .sort((a, b) => a.index - b.index || (a.host < b.host ? -1 : 1))
}

/** "index@host" of each assignment of the manifest: what a user sees with etcdctl get --prefix. */
export async function placement(c: Cluster, ref: AppRef): Promise<string[]> {
  return (await assignments(c, ref)).map(a => `${a.index}@${a.host}`)
}

export async function status(c: Cluster, ref: AppRef): Promise<StatusRecord | undefined> {
  const text = await c.etcd.client.get(c.keys.status(ref)).string()
  return text ? (JSON.parse(text) as StatusRecord) : undefined
}

export async function putManifest(c: Cluster, ref: AppRef, doc: object | string): Promise<void> {
  await c.etcd.client.put(c.keys.manifest(ref)).value(typeof doc === 'string' ? doc : JSON.stringify(doc))
}
