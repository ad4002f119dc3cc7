// Every way of getting hosts (this machine's namespaces, existing machines over SSH,
// DigitalOcean droplets) behind one interface, so `up`, `down` and `status` are the
// same commands whatever the provider.
import type { Progress } from './progress.js'

export interface HostStatus {
  id: string
  address: string
  /** Per component: running | stopped | absent | <droplet status>… */
  components: Record<string, string>
}

export interface ClusterStatus {
  provider: string
  exists: boolean
  hosts: HostStatus[]
  /** Cluster-wide services: etcd, registry, builder. */
  services: Record<string, { address: string; state: string }>
}

export interface UpResult {
  provider: string
  hosts: { id: string; address: string }[]
  added: string[]
  removed: string[]
  etcdEndpoints: string[]
  /** The admin's TLS files for etcd (CN dokkaacfg, etcd's root role), when etcd demands client certificates. */
  etcdTls?: { ca: string; cert: string; key: string }
  prefix: string
  consoleUrl?: string
  /** The cluster CA: what `dokkaacfg login --ca` and browsers must trust for an https consoleUrl. */
  caFile?: string
  rootPasswordFile?: string
  registry?: string
}

export interface Provider {
  readonly name: string
  up(scale: number, progress: Progress): Promise<UpResult>
  down(progress: Progress): Promise<{ removed: string[] }>
  status(): Promise<ClusterStatus>
  /** `certs rotate`: every certificate but the CA's issued again, each part restarted onto its new one; no container stops. */
  rotateCerts?(progress: Progress): Promise<{ issued: string[]; restarted: string[] }>
}

/** The closing lines of `up`: how to reach the cluster. */
export function connectionLines(r: UpResult): string[] {
  const endpoints = r.etcdEndpoints.join(',')
  const lines = [
    `hosts: ${r.hosts.map(h => `${h.id} (${h.address})`).join(', ') || 'none'}`,
  ]
  if (r.registry) lines.push(`registry: ${r.registry}`)
  if (r.consoleUrl) lines.push(`console: ${r.consoleUrl}`)
  if (r.rootPasswordFile) lines.push(`root password: ${r.rootPasswordFile}`)
  lines.push('point dokkaacfg and etcdctl at it:')
  lines.push(`  export DOKKAA_ETCD=${endpoints}${r.prefix ? ` DOKKAA_PREFIX=${r.prefix}` : ''}`)
  if (r.consoleUrl) lines.push(`  export DOKKAA_URL=${r.consoleUrl}${r.caFile && r.consoleUrl.startsWith('https:') ? ` DOKKAA_CA=${r.caFile}` : ''}`)
  if (r.etcdTls) lines.push(`  export DOKKAA_ETCD_CA=${r.etcdTls.ca} DOKKAA_ETCD_CERT=${r.etcdTls.cert} DOKKAA_ETCD_KEY=${r.etcdTls.key}`)
  lines.push(`  export ETCDCTL_API=3 ETCDCTL_ENDPOINTS=${endpoints}`)
  if (r.etcdTls) lines.push(`  export ETCDCTL_CACERT=${r.etcdTls.ca} ETCDCTL_CERT=${r.etcdTls.cert} ETCDCTL_KEY=${r.etcdTls.key}`)
  return lines
}
