// The two clusters of the TLS benchmark (bench/tls-bench.ts), side by side on this
// machine's Docker engine, each with its own etcd, host id, key prefix, port range, a
// real conductor and a real ambassador (run as in development: node --import tsx):
//   off — an etcd of its own on plain http, no authentication;
//   on  — a TLS-only etcd with --client-cert-auth (test/support/tls-etcd.ts), the cluster's
//         roles applied and authentication on (kit/etcd-rbac.ts), every part with its own
//         certificate (CN rules of docs/security.md): conductor-<host> plus the scheduler's,
//         ambassador-<host>; the bench writes manifests as `builder`, as the builder does.
// The ambassador can be restarted (a new process each round: see bench/tls-bench.ts).
// Everything made here is undone by the Teardown, in reverse order, also after a failure.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Etcd3 } from 'etcd3'
import { freeDnsPort, freePortBlock } from '../ambassador/testing/fixtures.js'
import { applyEtcdRoles } from '../kit/etcd-rbac.js'
import { ADMIN_USER, ambassadorUser, BUILDER_USER, clusterIdentities, conductorUser, KeyLayout, LABELS, SCHEDULER_USER } from '../schemas/index.js'
import { tempClusterKeyFile } from '../test/support/cluster-key.js'
import { removeContainersByLabel } from '../test/support/docker.js'
import { startOwnEtcd } from '../test/support/own-etcd.js'
import { startTsProcess, type StartedProcess } from '../test/support/processes.js'
import type { TeardownHost } from '../test/support/teardown-host.js'
import { issueTestCert } from '../test/support/test-pki.js'
import { clientWith, startTlsEtcd } from '../test/support/tls-etcd.js'
import { StopWaiting, waitFor } from '../test/support/wait-for.js'

export type Side = 'off' | 'on'

/** Teardown functions, run last-registered first; a failing one does not stop the rest. */
export class Teardown implements TeardownHost {
  private readonly fns: (() => unknown)[] = []
  teardown(fn: () => unknown): void { this.fns.push(fn) }
  async run(): Promise<string[]> {
    const problems: string[] = []
    for (let fn = this.fns.pop(); fn; fn = this.fns.pop()) {
      try { await fn() } catch (err) { problems.push((err as Error).message) }
    }
    return problems
  }
}

export interface Cluster {
  side: Side
  hostId: string
  keys: KeyLayout
  /** Writes and deletes manifests: on the TLS side as `builder`. */
  writer: Etcd3
  /** Reads what the parts wrote (ports, host record): on the TLS side as the admin. */
  reader: Etcd3
  conductor: StartedProcess
  /** The ambassador running now. */
  ambassador: StartedProcess
  /** Stops the ambassador and starts a new one with the same flags (its proxy ports are held in etcd). */
  restartAmbassador(): Promise<void>
  /** Every process started for this cluster, the replaced ambassadors too. */
  processes: StartedProcess[]
}

interface Access {
  /** The --etcd… flags of each part (the conductor's with the scheduler's certificate on the TLS side). */
  conductorFlags: string[]
  ambassadorFlags: string[]
  writer: Etcd3
  reader: Etcd3
}

async function plainAccess(t: Teardown): Promise<Access> {
  const etcd = await startOwnEtcd()
  t.teardown(() => etcd.close())
  const client = await clientWith(t, [etcd.url], undefined, undefined)
  const flags = ['--etcd', etcd.url]
  return { conductorFlags: flags, ambassadorFlags: flags, writer: client, reader: client }
}

async function tlsAccess(t: Teardown, keys: KeyLayout, hostId: string): Promise<Access> {
  const etcd = await startTlsEtcd(t)
  const cert = (cn: string) => issueTestCert(etcd.ca, cn, { use: 'client' })
  const reader = await clientWith(t, [etcd.url], await cert(ADMIN_USER), etcd.ca)
  await applyEtcdRoles(reader, clusterIdentities(keys, [hostId]), ADMIN_USER)
  const writer = await clientWith(t, [etcd.url], await cert(BUILDER_USER), etcd.ca)
  const flags = (c: { cert: string; key: string }) => ['--etcd', etcd.url, '--etcd-ca', etcd.ca.cert, '--etcd-cert', c.cert, '--etcd-key', c.key]
  const scheduler = await cert(SCHEDULER_USER)
  return {
    conductorFlags: [...flags(await cert(conductorUser(hostId))), '--scheduler-etcd-cert', scheduler.cert, '--scheduler-etcd-key', scheduler.key],
    ambassadorFlags: flags(await cert(ambassadorUser(hostId))),
    writer,
    reader,
  }
}

/** One cluster, its conductor registered; the ambassador is started (ready once it proxies). */
export async function startCluster(side: Side, runId: string, t: Teardown): Promise<Cluster> {
  const hostId = `tlsbench-${side}-${runId}`
  const keys = new KeyLayout(`/tlsbench-${runId}-${side}`)
  const access = side === 'on' ? await tlsAccess(t, keys, hostId) : await plainAccess(t)
  const range = await freePortBlock(200)
  const secretsDir = await mkdtemp(join(tmpdir(), `dokkaa-tls-bench-${side}-`))
  t.teardown(() => rm(secretsDir, { recursive: true, force: true }))
  // Registered before the conductor starts, so it runs after the conductor has stopped.
  t.teardown(() => removeContainersByLabel(LABELS.host, hostId))
  const common = ['--prefix', keys.prefix, '--port-range', `${range.from}-${range.to}`, '--cluster-key-file', tempClusterKeyFile(t), '--log-level', 'warn']
  const conductor = startTsProcess('conductor/main.ts', [...access.conductorFlags, ...common,
    '--host-id', hostId, '--host-address', '127.0.0.1', '--ambassador-address', 'none', '--agent-listen', 'none',
    '--secrets-dir', secretsDir, '--drain-delay', '0s',
  ], {}, { t, name: `conductor (${side})` })
  const ambassadorArgs = [...access.ambassadorFlags, ...common,
    '--dns-listen', `127.0.0.1:${await freeDnsPort()}`, '--proxy-listen', '127.0.0.1', '--upstream', 'none', '--web-listen', 'none']
  const processes = [conductor]
  const startAmbassador = (): StartedProcess => {
    const p = startTsProcess('ambassador/main.ts', ambassadorArgs, {}, { t, name: `ambassador (${side})` })
    processes.push(p)
    return p
  }
  const ambassador = startAmbassador()
  await waitFor(async () => {
    for (const p of [conductor, ambassador]) if (p.exit()) throw new StopWaiting(`${p.name} exited: ${p.output()}`)
    return (await access.reader.get(keys.host(hostId)).string()) !== null
  }, { timeoutMs: 60_000, what: `the ${side} conductor's host record` }).catch((err: Error) => {
    throw new Error(`${err.message}\n--- ${conductor.name}:\n${conductor.output()}\n--- ${ambassador.name}:\n${ambassador.output()}`, { cause: err })
  })
  const cluster: Cluster = {
    side, hostId, keys, writer: access.writer, reader: access.reader, conductor, ambassador, processes,
    async restartAmbassador() {
      await cluster.ambassador.stop()
      cluster.ambassador = startAmbassador()
    },
  }
  return cluster
}

/** The output of both parts when either said something about etcd permissions, else ''. */
export function permissionComplaints(c: Cluster): string {
  return c.processes.filter(p => /permission denied/i.test(p.output())).map(p => `${p.name}:\n${p.output()}`).join('\n')
}
