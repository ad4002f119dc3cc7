// Applies the cluster's etcd roles (schemas/etcd-roles.ts, through kit/etcd-rbac.ts) with
// the admin's certificate: what `up` and install.sh run once etcd answers, and again on
// every later run (idempotent; a host added since gets its roles). Before authentication
// is on any client may do this; after, only a root-role identity such as the admin's.
import { createEtcdClient } from '../kit/etcd-client.js'
import { applyEtcdRoles } from '../kit/etcd-rbac.js'
import { etcdConnection, type EtcdTlsFiles } from '../kit/etcd-tls.js'
import { ADMIN_USER, clusterIdentities, KeyLayout } from '../schemas/index.js'
import { ProvisionError } from './errors.js'

export interface RolesTarget {
  etcd: string[]
  /** The admin's TLS files (CN dokkaacfg). */
  tls: EtcdTlsFiles
  prefix: string
  hosts: readonly string[]
}

export async function applyClusterRoles(target: RolesTarget): Promise<{ identities: string[] }> {
  const identities = clusterIdentities(new KeyLayout(target.prefix), target.hosts)
  const client = createEtcdClient({ ...etcdConnection(target.etcd, target.tls), dialTimeout: 5000 })
  try {
    await applyEtcdRoles(client, identities, ADMIN_USER)
  } catch (e) {
    throw new ProvisionError(`applying the etcd roles on ${target.etcd.join(',')} failed: ${(e as Error).message}`,
      'the admin certificate (CN dokkaacfg) must be signed by the CA etcd trusts (--trusted-ca-file); see docs/security.md')
  } finally {
    client.close()
  }
  return { identities: identities.map(i => i.user) }
}

/** Whether the cluster's etcd answers a read with these credentials (a health probe that works under --client-cert-auth). */
export async function etcdAnswers(etcd: string[], tls: EtcdTlsFiles | undefined): Promise<boolean> {
  const client = createEtcdClient({ ...etcdConnection(etcd, tls), dialTimeout: 2000 })
  try {
    await client.maintenance.status()
    return true
  } catch {
    return false
  } finally {
    client.close()
  }
}
