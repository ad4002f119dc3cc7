// Pure planning of a namespace-host lab: names and addresses of the bridge and of
// host N, derived only from the lab's name and subnet so `down` can recompute nothing
// and `up` can compute the same answer twice (idempotence).
import { UsageError } from './errors.js'

export interface LabSpec {
  /** Short name, [a-z][a-z0-9]{0,9}: prefixes the bridge, namespaces and veths (Linux caps interface names at 15). */
  name: string
  /** The bridge's subnet, e.g. 10.213.0.0/24. The bridge gets .1, host N gets .(1+N). */
  subnet: string
  /** First two octets of each host's docker bridge, which is <bipBase>.<N>.1/24 inside its own namespace. */
  bipBase: string
}

export interface HostPlan {
  index: number
  /** Host id, used as conductor --host-id. */
  id: string
  netns: string
  /** Host-side end of the veth pair, enslaved to the bridge. */
  vethHost: string
  /** Namespace-side end before it is renamed eth0 inside the namespace. */
  vethPeer: string
  address: string
  prefixLength: number
  bip: string
}

export interface BridgePlan { name: string; address: string; prefixLength: number; cidr: string }

const NAME = /^[a-z][a-z0-9]{0,9}$/

export function parseIpv4(s: string): number {
  const parts = s.split('.')
  if (parts.length !== 4 || parts.some(p => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new UsageError(`not an IPv4 address: ${s}`)
  return parts.reduce((n, p) => n * 256 + Number(p), 0)
}

export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map(s => Math.floor(n / 2 ** s) % 256).join('.')
}

export function parseCidr(cidr: string): { base: number; prefixLength: number; size: number } {
  const m = cidr.match(/^([\d.]+)\/(\d{1,2})$/)
  if (!m) throw new UsageError(`not a CIDR subnet: ${cidr}`, 'write it like 10.213.0.0/24')
  const prefixLength = Number(m[2])
  if (prefixLength < 8 || prefixLength > 28) throw new UsageError(`subnet ${cidr}: prefix length must be between 8 and 28`)
  const size = 2 ** (32 - prefixLength)
  const addr = parseIpv4(m[1]!)
  return { base: addr - (addr % size), prefixLength, size }
}

export function validateLabSpec(spec: LabSpec): void {
  if (!NAME.test(spec.name)) throw new UsageError(`lab name "${spec.name}" must match ${NAME.source}`, 'it prefixes interface names, which Linux caps at 15 characters')
  parseCidr(spec.subnet)
  const b = spec.bipBase.split('.')
  if (b.length !== 2 || b.some(p => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new UsageError(`bip base "${spec.bipBase}" must be two octets, like 172.30`)
}

export function bridgePlan(spec: LabSpec): BridgePlan {
  const { base, prefixLength } = parseCidr(spec.subnet)
  return { name: `${spec.name}0`, address: formatIpv4(base + 1), prefixLength, cidr: `${formatIpv4(base)}/${prefixLength}` }
}

/** The largest host index the subnet and the docker bridge numbering allow. */
export function maxHosts(spec: LabSpec): number {
  const { size } = parseCidr(spec.subnet)
  return Math.min(size - 3, 254)
}

export function hostPlan(spec: LabSpec, index: number): HostPlan {
  if (!Number.isInteger(index) || index < 1 || index > maxHosts(spec)) {
    throw new UsageError(`host index ${index} is outside 1..${maxHosts(spec)} for subnet ${spec.subnet}`)
  }
  const { base, prefixLength } = parseCidr(spec.subnet)
  return {
    index,
    id: `${spec.name}-h${index}`,
    netns: `${spec.name}-h${index}`,
    vethHost: `${spec.name}-h${index}`,
    vethPeer: `${spec.name}-p${index}`,
    address: formatIpv4(base + 1 + index),
    prefixLength,
    bip: `${spec.bipBase}.${index}.1/24`,
  }
}

/** Does `cidr` overlap any of `taken` (other CIDRs)? Used to refuse a subnet already routed on this machine. */
export function overlaps(cidr: string, taken: string[]): string | undefined {
  const a = parseCidrLoose(cidr)
  for (const t of taken) {
    const b = parseCidrLoose(t)
    if (!b) continue
    if (a && a.base < b.base + b.size && b.base < a.base + a.size) return t
  }
  return undefined
}

function parseCidrLoose(cidr: string): { base: number; size: number } | undefined {
  const m = cidr.match(/^([\d.]+)(?:\/(\d{1,2}))?$/)
  if (!m) return undefined
  try {
    const size = 2 ** (32 - Number(m[2] ?? 32))
    const addr = parseIpv4(m[1]!)
    return { base: addr - (addr % size), size }
  } catch { return undefined }
}
