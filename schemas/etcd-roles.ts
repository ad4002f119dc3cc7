// Least privilege in etcd (issue 12): which etcd role each Dokkaa identity gets, as key
// ranges of the cluster's layout. With --client-cert-auth, etcd takes a client
// certificate's CN as the user a connection acts as, and that user's roles decide each
// read and write — so a stolen ambassador key can read but never write, and a conductor's
// can write its own host record but not another host's, nor any assignment. Pure: the
// roles are applied by kit/etcd-rbac.ts. docs/security.md has the table and its gaps.
import type { KeyLayout } from './keys.js'
import { isHostId } from './names.js'

export type EtcdPermission = 'Read' | 'Write' | 'Readwrite'

/** One grant: a single key, or every key under a prefix. */
export type EtcdGrant = { permission: EtcdPermission; key: string } | { permission: EtcdPermission; prefix: string }

/** An etcd user (a certificate's CN) and the one role of the same name it holds. */
export interface EtcdIdentity {
  user: string
  grants: EtcdGrant[]
}

/** The admin (dokkaacfg, etcdctl): etcd's own `root` role, everything. */
export const ADMIN_USER = 'dokkaacfg'
export const SCHEDULER_USER = 'scheduler'
export const BUILDER_USER = 'builder'
export const conductorUser = (host: string): string => `conductor-${host}`
export const ambassadorUser = (host: string): string => `ambassador-${host}`

const read = (prefix: string): EtcdGrant => ({ permission: 'Read', prefix })
const readwrite = (prefix: string): EtcdGrant => ({ permission: 'Readwrite', prefix })
const readwriteKey = (key: string): EtcdGrant => ({ permission: 'Readwrite', key })

/** The conductor of `host`: its own host record and assignments; instance and DNS records (not split by host in the layout). */
export function conductorGrants(k: KeyLayout, host: string): EtcdGrant[] {
  return [
    readwriteKey(k.host(host)),
    read(k.assignments(host)),
    readwrite(k.instances),
    readwrite(k.skydnsRoot),
    // Made by the first conductor when missing; read by the builder.
    readwriteKey(k.agentToken),
    read(k.registriesRoot),
  ]
}

/** The scheduler: reads the cluster, writes assignments, statuses, ports, volume homes; campaigns. */
export function schedulerGrants(k: KeyLayout): EtcdGrant[] {
  return [
    // Statuses live beside manifests and controls (/apps/<app>/<name>/status): the range is shared (docs/security.md).
    readwrite(k.apps),
    readwrite(k.assignRoot),
    readwrite(k.portsRoot),
    readwrite(k.portOwnersRoot),
    readwrite(k.volumesRoot),
    readwrite(`${k.schedulerElection}/`),
    read(k.hosts),
    read(k.instances),
    read(k.owners),
    read(k.secretsRoot),
    read(k.configsRoot),
    // Watched as a prefix (a range read): a grant of the one key would not cover it.
    read(k.policy),
  ]
}

/**
 * An ambassador: reads what it routes by, and the certificates (sealed) and HTTP-01
 * challenges it serves — not the rest of /tls/ (the ACME account key); writes nothing.
 */
export function ambassadorGrants(k: KeyLayout): EtcdGrant[] {
  return [read(k.skydnsRoot), read(k.instances), read(k.portsRoot), read(k.hosts), read(k.apps), read(k.tlsCertsRoot), read(k.tlsChallengesRoot)]
}

/** The builder: what users write through it, and what it shows. */
export function builderGrants(k: KeyLayout): EtcdGrant[] {
  return [
    readwrite(k.apps),
    readwrite(k.owners),
    readwrite(k.users),
    readwrite(k.tokens),
    readwrite(k.secretsRoot),
    readwrite(k.configsRoot),
    readwrite(k.registriesRoot),
    // `volume rm --forget` drops a home record.
    readwrite(k.volumesRoot),
    readwrite(k.policy),
    // It orders the web router's certificates over ACME: certificates, challenges, renewal
    // requests, its account, the status; the operator writes /config/acme.
    readwrite(k.tlsRoot),
    read(k.acmeConfig),
    // Made at start when missing (as a conductor does): the agent API's shared token.
    readwriteKey(k.agentToken),
    // Its event stream (the console's live view) watches the whole cluster prefix.
    read(`${k.prefix}/`),
  ]
}

/** Every identity of a cluster with these hosts (the admin is etcd's root: no grants listed). */
export function clusterIdentities(k: KeyLayout, hosts: readonly string[]): EtcdIdentity[] {
  const bad = hosts.find(h => !isHostId(h))
  if (bad !== undefined) throw new Error(`host id ${JSON.stringify(bad)} is not one a conductor registers`)
  return [
    ...hosts.flatMap(h => [
      { user: conductorUser(h), grants: conductorGrants(k, h) },
      { user: ambassadorUser(h), grants: ambassadorGrants(k) },
    ]),
    { user: SCHEDULER_USER, grants: schedulerGrants(k) },
    { user: BUILDER_USER, grants: builderGrants(k) },
  ]
}
