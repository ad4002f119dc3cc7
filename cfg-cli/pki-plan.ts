// Which certificates a cluster needs, decided from its hosts alone (pure: no files, no
// openssl), so `up`, install.sh's helper and the tests agree on one list. The CNs are the
// identities etcd's RBAC will see: a client certificate's CN is the etcd user it acts as,
// so each process of each host has its own (`conductor-h1` cannot write as `builder`).
import { isIP } from 'node:net'
import { isHostId } from '../schemas/index.js'
import { UsageError } from './errors.js'
import { assertCertRequest, DEFAULT_CERT_DAYS, dnsNameProblem, sanOf, type CertRequest } from './pki-request.js'

export interface PlanHost {
  /** The host id (`--host-id`), as the conductor registers it. */
  id: string
  /** The address the others reach it at: an IP, or a DNS name. */
  address: string
  /** Runs an etcd member. */
  etcd: boolean
  /** Runs the builder (one per cluster). */
  builder: boolean
}

export interface ClusterPlanInput {
  hosts: PlanHost[]
  /** Where the builder runs when on no host of `hosts` (the local provider's lab bridge). */
  builderAddress?: string
  /** etcd members that run on no Dokkaa host (the local provider's, on its lab bridge). */
  etcdMembers?: { id: string; address: string }[]
  /** Validity of each certificate; DEFAULT_CERT_DAYS when absent. */
  days?: number
}

/** The CN of the admin's client certificate: dokkaacfg acting on etcd directly. */
export const ADMIN_COMMON_NAME = 'dokkaacfg'
export const BUILDER_COMMON_NAME = 'builder'
/** The scheduler's own etcd identity: given to the conductors that may win the scheduler election. */
export const SCHEDULER_COMMON_NAME = 'scheduler'

function hostProblems(hosts: PlanHost[]): string[] {
  const problems: string[] = []
  const seen = new Set<string>()
  for (const h of hosts) {
    if (!isHostId(h.id)) problems.push(`host id ${JSON.stringify(h.id)} is not a valid host id (1-63 of A-Z, a-z, 0-9, "-", "_", ".")`)
    // File names are lowercase (certNameProblem), so ids differing only in case would share files.
    const key = h.id.toLowerCase()
    if (seen.has(key)) problems.push(`host id ${JSON.stringify(h.id)} appears twice (ids are compared without case)`)
    seen.add(key)
    if (!isIP(h.address) && dnsNameProblem(h.address)) {
      problems.push(`host ${JSON.stringify(h.id)}: address ${JSON.stringify(h.address)} is neither an IPv4/IPv6 address nor a DNS name`)
    }
  }
  const builders = hosts.filter(h => h.builder)
  if (builders.length > 1) problems.push(`one builder per cluster, but ${builders.map(h => h.id).join(', ')} are all marked as running it`)
  return problems
}

/**
 * The certificates (besides the CA) a cluster of these hosts needs, in a stable order:
 * per etcd member `etcd-<host>` (server and peer: serverAuth+clientAuth; SANs its address,
 * 127.0.0.1, localhost), per host `conductor-<host>` (an etcd client, and a server: its agent
 * API will serve HTTPS at its address) and `ambassador-<host>` (an etcd client), `builder`
 * (server+client at its host's address and loopback, where a one-host install serves it),
 * `scheduler` (an etcd client: the scheduler inside whichever conductor wins the election)
 * and `dokkaacfg` (the admin's client certificate).
 */
export function componentPlan(cluster: ClusterPlanInput): CertRequest[] {
  const problems = hostProblems(cluster.hosts)
  if (problems.length) throw new UsageError(`cannot plan the cluster's certificates: ${problems.join('; ')}`)
  const days = cluster.days ?? DEFAULT_CERT_DAYS
  const plan: CertRequest[] = []
  const add = (name: string, commonName: string, usage: CertRequest['usage'], san = { dnsNames: [] as string[], ipAddresses: [] as string[] }) =>
    plan.push({ name, commonName, usage, days, dnsNames: san.dnsNames, ipAddresses: san.ipAddresses })

  for (const h of [...cluster.hosts.filter(x => x.etcd), ...cluster.etcdMembers ?? []]) {
    const own = sanOf(h.address)
    // etcd is also dialled on the host itself (etcdctl, the local parts), by name and by loopback.
    add(`etcd-${h.id.toLowerCase()}`, `etcd-${h.id}`, 'server+client', {
      dnsNames: unique([...own.dnsNames, 'localhost']),
      ipAddresses: unique([...own.ipAddresses, '127.0.0.1']),
    })
  }
  for (const h of cluster.hosts) {
    add(`conductor-${h.id.toLowerCase()}`, `conductor-${h.id}`, 'server+client', sanOf(h.address))
    add(`ambassador-${h.id.toLowerCase()}`, `ambassador-${h.id}`, 'client')
  }
  const builder = cluster.hosts.find(h => h.builder)?.address ?? cluster.builderAddress
  if (builder) {
    const own = sanOf(builder)
    add('builder', BUILDER_COMMON_NAME, 'server+client', { dnsNames: unique([...own.dnsNames, 'localhost']), ipAddresses: unique([...own.ipAddresses, '127.0.0.1']) })
  }
  add('scheduler', SCHEDULER_COMMON_NAME, 'client')
  add('dokkaacfg', ADMIN_COMMON_NAME, 'client')

  // A host id near the 63-character limit makes a CN past X.520's 64: refused here, by name.
  for (const r of plan) assertCertRequest(r)
  return plan
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)]
}
