// Pure decisions of the digitalocean provider: which tags mark a cluster's droplets,
// which droplets `up --scale=N` creates or deletes, and the body of each create.
// The droplets carrying the cluster tag ARE the state: nothing is kept locally.
import type { CreateDropletRequest, Droplet } from './do-api.js'
import type { CloudInitVars } from './cloud-init.js'
import { UsageError } from './errors.js'

export interface DoSettings {
  cluster: string
  namePrefix: string
  region: string
  size: string
  image: string
  sshKeys: string[]
  prefix: string
  leaseTtl: number
  nodeUrl: string
  dokkaaPackage: string
  dnsUpstream: string
}

export function clusterTag(cluster: string): string { return `dokkaa-${cluster}` }
/** The one droplet that runs etcd and the builder: never removed by scaling down (only by scale 0 or down). */
export function etcdTag(cluster: string): string { return `dokkaa-${cluster}-etcd` }

const TAG_RE = /^[a-zA-Z0-9_:-]{1,255}$/
const HOSTNAME_RE = /^[a-z0-9]([a-z0-9-]{0,50}[a-z0-9])?$/

export function validateDoSettings(s: DoSettings): void {
  if (!TAG_RE.test(clusterTag(s.cluster)) || !HOSTNAME_RE.test(s.cluster)) throw new UsageError(`--name "${s.cluster}" must be lower-case letters, digits and dashes`)
  if (!HOSTNAME_RE.test(s.namePrefix)) throw new UsageError(`--name-prefix "${s.namePrefix}" must be a hostname: lower-case letters, digits and dashes`)
  if (!s.region) throw new UsageError('--region is required with --provider=digitalocean', 'e.g. --region ams3 (doctl compute region list)')
  if (!s.size) throw new UsageError('--size is required with --provider=digitalocean', 'e.g. --size s-2vcpu-4gb (doctl compute size list)')
  for (const k of s.sshKeys) if (!/^(\d+|[0-9a-f]{2}(:[0-9a-f]{2}){15})$/i.test(k)) {
    throw new UsageError(`--ssh-key "${k}" is neither a key id nor an MD5 fingerprint (aa:bb:…)`, 'doctl compute ssh-key list shows both')
  }
}

/** Oldest first: creation time, then id. */
export function byAge(ds: Droplet[]): Droplet[] {
  return [...ds].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id - b.id)
}

export interface ScalePlan {
  /** Names to create; the first is the etcd droplet when `etcdFirst`. */
  create: string[]
  etcdFirst: boolean
  /** Newest first. */
  remove: Droplet[]
}

export function scalePlan(existing: Droplet[], scale: number, s: Pick<DoSettings, 'cluster' | 'namePrefix'>): ScalePlan {
  if (!Number.isInteger(scale) || scale < 0 || scale > 100) throw new UsageError('--scale must be a whole number from 0 to 100')
  const live = byAge(existing.filter(d => d.status !== 'archive'))
  const etcd = live.find(d => d.tags.includes(etcdTag(s.cluster)))
  if (scale < live.length) {
    const removable = live.filter(d => d !== etcd || scale === 0).reverse()
    return { create: [], etcdFirst: false, remove: removable.slice(0, live.length - scale) }
  }
  const used = new Set(live.map(d => d.name))
  const create: string[] = []
  for (let i = 1; create.length < scale - live.length; i++) {
    const name = `${s.namePrefix}-h${i}`
    if (!used.has(name)) create.push(name)
  }
  return { create, etcdFirst: !etcd && create.length > 0, remove: [] }
}

/** cloud-init values of one droplet. __PRIVATE_IP__ is filled in at boot from eth1 (the VPC interface). */
export function dropletCloudInit(s: DoSettings, name: string, etcdAddress: string | undefined, clusterKey: string): CloudInitVars {
  const isEtcd = etcdAddress === undefined
  return {
    cluster_key: clusterKey.trim(),
    etcd: `http://${etcdAddress ?? '__PRIVATE_IP__'}:2379`,
    prefix: s.prefix,
    host_id: name,
    host_address: '__PRIVATE_IP__',
    labels: `region=${s.region}`,
    lease_ttl: String(s.leaseTtl),
    dns_upstream: s.dnsUpstream,
    node_url: s.nodeUrl,
    dokkaa_package: s.dokkaaPackage,
    etcd_enable: isEtcd ? 'systemctl enable --now dokkaa-etcd' : 'true',
    builder_enable: isEtcd ? 'systemctl enable --now dokkaa-builder' : 'true',
  }
}

export function createRequest(s: DoSettings, name: string, userData: string, isEtcd: boolean): CreateDropletRequest {
  return {
    name,
    region: s.region,
    size: s.size,
    image: /^\d+$/.test(s.image) ? Number(s.image) : s.image,
    ssh_keys: s.sshKeys.map(k => (/^\d+$/.test(k) ? Number(k) : k)),
    user_data: userData,
    tags: isEtcd ? [clusterTag(s.cluster), etcdTag(s.cluster)] : [clusterTag(s.cluster)],
  }
}
