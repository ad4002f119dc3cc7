// The cluster-wide daemons of a local cluster, on the lab bridge's address (never on
// 127.0.0.1, where the machine's own etcd and registry may already listen): etcd
// (one member, or several on consecutive ports) and a Debian docker-registry.
// etcd speaks TLS only, clients and peers alike, and demands client certificates
// (--client-cert-auth): the bridge reaches every namespace host, and a plain etcd there
// would let any of their containers' traffic write the cluster's desired state.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isRunning, logTail, spawnDaemon, waitUntil, type ProcessRecord } from './processes.js'
import { ProvisionError } from './errors.js'

export interface EtcdMember {
  name: string
  clientUrl: string
  peerUrl: string
  dataDir: string
  process?: ProcessRecord
}

/** Pure: the members of an n-member etcd on `address`, client/peer ports from `basePort` in pairs. */
export function planEtcd(address: string, members: number, dataDir: string, basePort = 2379, scheme: 'http' | 'https' = 'https'): EtcdMember[] {
  return Array.from({ length: members }, (_, i) => ({
    name: `etcd${i + 1}`,
    clientUrl: `${scheme}://${address}:${basePort + 2 * i}`,
    peerUrl: `${scheme}://${address}:${basePort + 2 * i + 1}`,
    dataDir: join(dataDir, `etcd${i + 1}`),
  }))
}

/** A member's TLS files: the cluster CA, and its own server+client pair (serving clients and peers, dialling peers). */
export interface MemberTls { ca: string; cert: string; key: string }

/** The cert name of a member in the cluster PKI (pki-plan.ts's etcdMembers id). */
export const memberCertName = (m: Pick<EtcdMember, 'name'>): string => `etcd-${m.name}`

export function etcdArgv(m: EtcdMember, all: EtcdMember[], clusterToken: string, tls?: MemberTls): string[] {
  return [
    'etcd', '--name', m.name, '--data-dir', m.dataDir,
    '--listen-client-urls', m.clientUrl, '--advertise-client-urls', m.clientUrl,
    '--listen-peer-urls', m.peerUrl, '--initial-advertise-peer-urls', m.peerUrl,
    '--initial-cluster', all.map(x => `${x.name}=${x.peerUrl}`).join(','),
    '--initial-cluster-state', 'new', '--initial-cluster-token', clusterToken,
    ...(tls ? [
      '--client-cert-auth', '--trusted-ca-file', tls.ca, '--cert-file', tls.cert, '--key-file', tls.key,
      '--peer-client-cert-auth', '--peer-trusted-ca-file', tls.ca, '--peer-cert-file', tls.cert, '--peer-key-file', tls.key,
    ] : []),
  ]
}

/** Starts the members not running yet and waits until `healthy` says the cluster answers. */
export async function startEtcd(members: EtcdMember[], token: string, logDir: string, healthy: () => Promise<boolean>, tlsOf?: (m: EtcdMember) => MemberTls): Promise<void> {
  for (const m of members) {
    if (m.process && isRunning(m.process)) continue
    mkdirSync(m.dataDir, { recursive: true, mode: 0o700 })
    m.process = spawnDaemon(etcdArgv(m, members, token, tlsOf?.(m)), m.dataDir, join(logDir, `${m.name}.log`))
  }
  const ok = await waitUntil(async () => {
    for (const m of members) if (!isRunning(m.process!)) throw new ProvisionError(`etcd member ${m.name} exited: ${logTail(m.process!.log)}`)
    return healthy()
  }, 60_000, 250)
  if (!ok) throw new ProvisionError(`etcd on ${members[0]!.clientUrl} did not become healthy within 60 s`, `see ${members[0]!.process!.log}`)
}

export interface RegistryRecord {
  address: string
  dataDir: string
  process?: ProcessRecord
}

export function registryConfig(address: string, storage: string): string {
  // Debian's docker-registry (distribution v2); no auth: it is reachable only from the lab bridge.
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storage}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${address}`,
    '',
  ].join('\n')
}

export async function startRegistry(reg: RegistryRecord, logDir: string): Promise<void> {
  if (!(reg.process && isRunning(reg.process))) {
    const storage = join(reg.dataDir, 'storage')
    mkdirSync(storage, { recursive: true })
    const config = join(reg.dataDir, 'config.yml')
    writeFileSync(config, registryConfig(reg.address, storage))
    reg.process = spawnDaemon(['docker-registry', 'serve', config], reg.dataDir, join(logDir, 'registry.log'))
  }
  const proc = reg.process
  const ok = await waitUntil(async () => {
    if (!isRunning(proc)) throw new ProvisionError(`registry exited: ${logTail(proc.log)}`)
    return (await fetch(`http://${reg.address}/v2/`, { signal: AbortSignal.timeout(2000) })).ok
  }, 30_000, 250)
  if (!ok) throw new ProvisionError(`registry on ${reg.address} did not answer within 30 s`, `see ${proc.log}`)
}
