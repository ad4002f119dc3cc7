// Pure decisions of the ssh provider: parsing --hosts, which hosts run etcd, and the
// contents of /etc/dokkaa/env and /etc/dokkaa/etcd.env on each host (the files the
// systemd units in deploy/ read). etcd is TLS-only with client certificates; each part
// finds its own certificate in /etc/dokkaa/pki by the variables written here.
import { UsageError } from './errors.js'

export interface SshTarget { user: string; host: string }

export interface SshHostPlan {
  target: string
  id: string
  /** The address the other hosts and the user reach it on: the host part of the target. */
  address: string
  etcd: boolean
}

export function parseHosts(list: string): SshTarget[] {
  const parts = list.split(',').map(s => s.trim()).filter(Boolean)
  if (!parts.length) throw new UsageError('--hosts needs at least one user@host', 'e.g. --hosts root@10.0.0.5,root@10.0.0.6')
  const seen = new Set<string>()
  return parts.map(p => {
    const m = p.match(/^(?:([a-z_][a-z0-9_-]*)@)?([a-zA-Z0-9.-]+|\[[0-9a-fA-F:]+\])$/)
    if (!m) throw new UsageError(`--hosts: "${p}" is not user@host`)
    if (seen.has(m[2]!)) throw new UsageError(`--hosts names ${m[2]} twice`)
    seen.add(m[2]!)
    return { user: m[1] ?? 'root', host: m[2]! }
  })
}

export const targetString = (t: SshTarget) => `${t.user}@${t.host}`

/** The first `scale` hosts, ids <cluster>-h<N> by position, etcd on the first `etcdMembers`. */
export function planHosts(cluster: string, targets: SshTarget[], scale: number, etcdMembers: number): SshHostPlan[] {
  if (!Number.isInteger(scale) || scale < 0 || scale > targets.length) {
    throw new UsageError(`--scale must be 0 to ${targets.length} (the number of --hosts)`)
  }
  if (!Number.isInteger(etcdMembers) || etcdMembers < 1 || (scale > 0 && etcdMembers > scale)) {
    throw new UsageError(`--etcd-members must be 1 to ${Math.max(1, scale)} (it runs on the first hosts)`)
  }
  return targets.slice(0, scale).map((t, i) => ({
    target: targetString(t),
    id: `${cluster}-h${i + 1}`,
    address: t.host.replace(/^\[|\]$/g, ''),
    etcd: i < etcdMembers,
  }))
}

export function etcdClientUrls(hosts: SshHostPlan[]): string[] {
  return hosts.filter(h => h.etcd).map(h => `https://${h.address}:2379`)
}

/** Where every host keeps its part of the cluster PKI. */
export const REMOTE_PKI_DIR = '/etc/dokkaa/pki'
const remotePair = (name: string) => [`${REMOTE_PKI_DIR}/${name}.crt`, `${REMOTE_PKI_DIR}/${name}.key`] as const

/** The certificate files (names in the PKI dir, without .crt/.key) host `h` gets: its own, never the CA key. */
export function hostCertNames(h: SshHostPlan, builderHost: boolean): string[] {
  const id = h.id.toLowerCase()
  return [...(h.etcd ? [`etcd-${id}`, 'scheduler'] : []), `conductor-${id}`, `ambassador-${id}`, ...(builderHost ? ['builder'] : [])]
}

/** The env lines naming each part's etcd certificate (deploy/*.service pass them as --etcd-cert/--etcd-key). */
export function tlsEnvLines(h: SshHostPlan, builderHost: boolean): string[] {
  const id = h.id.toLowerCase()
  const [cc, ck] = remotePair(`conductor-${id}`)
  const [ac, ak] = remotePair(`ambassador-${id}`)
  const [sc, sk] = remotePair('scheduler')
  const [bc, bk] = remotePair('builder')
  return [
    `DOKKAA_ETCD_CA=${REMOTE_PKI_DIR}/ca.crt`,
    `DOKKAA_CONDUCTOR_ETCD_CERT=${cc}`, `DOKKAA_CONDUCTOR_ETCD_KEY=${ck}`,
    // The agent API: HTTPS with the conductor's certificate, only the builder's client certificate let in (conductor flags only).
    `DOKKAA_AGENT_TLS_CERT=${cc}`, `DOKKAA_AGENT_TLS_KEY=${ck}`, `DOKKAA_AGENT_CLIENT_CA=${REMOTE_PKI_DIR}/ca.crt`,
    `DOKKAA_AMBASSADOR_ETCD_CERT=${ac}`, `DOKKAA_AMBASSADOR_ETCD_KEY=${ak}`,
    // Only etcd hosts may schedule (docs/security.md): the others get no scheduler certificate and do not campaign.
    ...(h.etcd ? [`DOKKAA_SCHEDULER_ETCD_CERT=${sc}`, `DOKKAA_SCHEDULER_ETCD_KEY=${sk}`] : ['DOKKAA_NO_SCHEDULER=1']),
    // The builder: its etcd identity, HTTPS for the console and API, and the agent APIs' client certificate (builder flags only).
    ...(builderHost ? [
      `DOKKAA_BUILDER_ETCD_CERT=${bc}`, `DOKKAA_BUILDER_ETCD_KEY=${bk}`,
      `DOKKAA_TLS_CERT=${bc}`, `DOKKAA_TLS_KEY=${bk}`,
      `DOKKAA_AGENT_CA=${REMOTE_PKI_DIR}/ca.crt`, `DOKKAA_AGENT_CERT=${bc}`, `DOKKAA_AGENT_KEY=${bk}`,
    ] : []),
  ]
}

export interface ClusterSettings { cluster: string; prefix: string; leaseTtl: number; dnsUpstream: string }

/** /etc/dokkaa/env. `auto` values are filled in on the host by deploy/ssh-host.sh. */
export function hostEnv(c: ClusterSettings, h: SshHostPlan, all: SshHostPlan[]): string {
  return [
    'DOKKAA_HOME=/opt/dokkaa',
    `DOKKAA_ETCD=${etcdClientUrls(all).join(',')}`,
    `DOKKAA_PREFIX=${c.prefix}`,
    `DOKKAA_HOST_ID=${h.id}`,
    `DOKKAA_HOST_ADDRESS=${h.address}`,
    `DOKKAA_LABELS=host=${h.id}`,
    `DOKKAA_LEASE_TTL=${c.leaseTtl}`,
    'DOKKAA_AMBASSADOR_ADDRESS=auto',
    `DOKKAA_WEB_LISTEN=${h.address}:80`,
    `DOKKAA_WEB_TLS_LISTEN=${h.address}:443`,
    `DOKKAA_DNS_UPSTREAM=${c.dnsUpstream}`,
    `DOKKAA_BUILDER_LISTEN=${h.address}:8080`,
    'DOKKAA_DATA_DIR=/var/lib/dokkaa',
    ...tlsEnvLines(h, h === all[0]),
    '',
  ].join('\n')
}

/** /etc/dokkaa/etcd.env of an etcd member (empty for the others). */
export function etcdEnv(c: ClusterSettings, h: SshHostPlan, all: SshHostPlan[]): string {
  if (!h.etcd) return ''
  const members = all.filter(x => x.etcd)
  const [cert, key] = remotePair(`etcd-${h.id.toLowerCase()}`)
  return [
    `ETCD_NAME=${h.id}`,
    'ETCD_DATA_DIR=/var/lib/dokkaa/etcd',
    `ETCD_LISTEN_CLIENT_URLS=https://${h.address}:2379,https://127.0.0.1:2379`,
    `ETCD_ADVERTISE_CLIENT_URLS=https://${h.address}:2379`,
    `ETCD_LISTEN_PEER_URLS=https://${h.address}:2380`,
    `ETCD_INITIAL_ADVERTISE_PEER_URLS=https://${h.address}:2380`,
    `ETCD_INITIAL_CLUSTER=${members.map(m => `${m.id}=https://${m.address}:2380`).join(',')}`,
    `ETCD_INITIAL_CLUSTER_TOKEN=dokkaa-${c.cluster}`,
    'ETCD_INITIAL_CLUSTER_STATE=new',
    // TLS only, for clients and peers, and a certificate of the cluster CA required of both.
    'ETCD_CLIENT_CERT_AUTH=true', `ETCD_TRUSTED_CA_FILE=${REMOTE_PKI_DIR}/ca.crt`, `ETCD_CERT_FILE=${cert}`, `ETCD_KEY_FILE=${key}`,
    'ETCD_PEER_CLIENT_CERT_AUTH=true', `ETCD_PEER_TRUSTED_CA_FILE=${REMOTE_PKI_DIR}/ca.crt`, `ETCD_PEER_CERT_FILE=${cert}`, `ETCD_PEER_KEY_FILE=${key}`,
    '',
  ].join('\n')
}
