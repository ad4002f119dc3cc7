// The local provider's TLS: one PKI per lab cluster (`<state-dir>/<name>/pki`, removed by
// `down` with the rest), and which files each process is handed. Pure but for the paths.
import { join } from 'node:path'
import type { EtcdTlsFiles } from '../kit/etcd-tls.js'
import { pairOf } from './cluster-pki.js'
import type { ClusterPlanInput } from './pki.js'
import type { EtcdMember, MemberTls } from './local-services.js'
import { memberCertName } from './local-services.js'

export const labPkiDir = (dataDir: string): string => join(dataDir, 'pki')

/** The identity an etcd client connects as: its TLS files. */
export function etcdClientTls(pkiDir: string, certName: string): Required<EtcdTlsFiles> {
  const { cert, key } = pairOf(pkiDir, certName)
  return { ca: join(pkiDir, 'ca.crt'), client: { cert, key } }
}

/** --etcd-ca/--etcd-cert/--etcd-key for a part acting as `certName`. */
export function etcdTlsFlags(pkiDir: string, certName: string): string[] {
  const t = etcdClientTls(pkiDir, certName)
  return ['--etcd-ca', t.ca, '--etcd-cert', t.client.cert, '--etcd-key', t.client.key]
}

/** The conductor's second identity: the scheduler's, for when it wins the election. */
export function schedulerTlsFlags(pkiDir: string): string[] {
  const { cert, key } = pairOf(pkiDir, 'scheduler')
  return ['--scheduler-etcd-cert', cert, '--scheduler-etcd-key', key]
}

/** The conductor's agent API over mutual TLS: its own certificate as the server's, the cluster CA for clients. */
export function agentServerFlags(pkiDir: string, certName: string): string[] {
  const { cert, key } = pairOf(pkiDir, certName)
  return ['--agent-tls-cert', cert, '--agent-tls-key', key, '--agent-client-ca', join(pkiDir, 'ca.crt')]
}

/** The builder: HTTPS for the console and API, and its client certificate for the agent APIs. */
export function builderTlsFlags(pkiDir: string): string[] {
  const { cert, key } = pairOf(pkiDir, 'builder')
  const ca = join(pkiDir, 'ca.crt')
  return ['--tls-cert', cert, '--tls-key', key, '--agent-ca', ca, '--agent-cert', cert, '--agent-key', key]
}

export function memberTls(pkiDir: string): (m: EtcdMember) => MemberTls {
  return m => ({ ca: join(pkiDir, 'ca.crt'), ...pairOf(pkiDir, memberCertName(m)) })
}

/** The lab's certificate plan: every namespace host (the builder on the bridge, no etcd on a host) and the bridge's etcd members. */
export function labPlan(clusterName: string, hosts: { id: string; address: string }[], bridgeAddress: string, members: EtcdMember[]): ClusterPlanInput & { caName: string } {
  return {
    caName: `dokkaa-${clusterName}-ca`,
    hosts: hosts.map(h => ({ id: h.id, address: h.address, etcd: false, builder: false })),
    builderAddress: bridgeAddress,
    etcdMembers: members.map(m => ({ id: m.name, address: bridgeAddress })),
  }
}
