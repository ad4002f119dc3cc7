// Pure decisions of the ssh provider: parsing --hosts, which hosts run etcd, and the
// contents of /etc/dokkaa/env and /etc/dokkaa/etcd.env on each host (the files the
// systemd units in deploy/ read).
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
  return hosts.filter(h => h.etcd).map(h => `http://${h.address}:2379`)
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
    `DOKKAA_DNS_UPSTREAM=${c.dnsUpstream}`,
    `DOKKAA_BUILDER_LISTEN=${h.address}:8080`,
    'DOKKAA_DATA_DIR=/var/lib/dokkaa',
    '',
  ].join('\n')
}

/** /etc/dokkaa/etcd.env of an etcd member (empty for the others). */
export function etcdEnv(c: ClusterSettings, h: SshHostPlan, all: SshHostPlan[]): string {
  if (!h.etcd) return ''
  const members = all.filter(x => x.etcd)
  return [
    `ETCD_NAME=${h.id}`,
    'ETCD_DATA_DIR=/var/lib/dokkaa/etcd',
    `ETCD_LISTEN_CLIENT_URLS=http://${h.address}:2379,http://127.0.0.1:2379`,
    `ETCD_ADVERTISE_CLIENT_URLS=http://${h.address}:2379`,
    `ETCD_LISTEN_PEER_URLS=http://${h.address}:2380`,
    `ETCD_INITIAL_ADVERTISE_PEER_URLS=http://${h.address}:2380`,
    `ETCD_INITIAL_CLUSTER=${members.map(m => `${m.id}=http://${m.address}:2380`).join(',')}`,
    `ETCD_INITIAL_CLUSTER_TOKEN=dokkaa-${c.cluster}`,
    'ETCD_INITIAL_CLUSTER_STATE=new',
    '',
  ].join('\n')
}
