// Applies the cluster's etcd roles (schemas/etcd-roles.ts) and turns authentication on:
// one role per identity, named as its user (a certificate's CN), holding exactly the
// planned grants — a grant the plan no longer has is revoked when it is applied again.
// The users and roles of hosts no longer in the plan (`conductor-<host>`, `ambassador-<host>`
// of a host scaled away) are deleted: their certificates stay valid until they expire (no
// revocation), and etcd must stop taking them the moment the host leaves.
// Users get a random password nobody keeps: with
// --client-cert-auth the certificate is the credential, and no password can stand in for
// it. The admin (and etcd's mandatory `root` user) hold etcd's `root` role. Idempotent.
import { randomBytes } from 'node:crypto'
import { EtcdRoleExistsError, EtcdUserExistsError, Range, type Etcd3, type IPermissionRequest } from 'etcd3'
import type { EtcdGrant, EtcdIdentity } from '../schemas/index.js'

const ROOT = 'root'

function request(g: EtcdGrant): IPermissionRequest {
  return 'key' in g ? { permission: g.permission, key: g.key } : { permission: g.permission, range: Range.prefix(g.prefix) }
}

/** A grant as etcd lists it back: "Readwrite [start, end)". */
function grantId(permission: string, range: Range): string {
  return `${permission} ${range.start.toString('hex')} ${range.end.toString('hex')}`
}

async function ensureRole(client: Etcd3, name: string): Promise<void> {
  await client.role(name).create().catch(err => { if (!(err instanceof EtcdRoleExistsError)) throw err })
}

async function ensureUser(client: Etcd3, name: string, role: string): Promise<void> {
  await client.user(name).create(randomBytes(24).toString('base64')).catch(err => { if (!(err instanceof EtcdUserExistsError)) throw err })
  await client.user(name).addRole(role)
}

/** Makes every role and user, the admin root, and enables authentication. Run with root rights
 * (before authentication is on, any client may; after, only a root-role certificate). */
export async function applyEtcdRoles(client: Etcd3, identities: readonly EtcdIdentity[], admin: string): Promise<void> {
  await ensureRole(client, ROOT)
  for (const id of identities) {
    await ensureRole(client, id.user)
    const role = client.role(id.user)
    const want = id.grants.map(request)
    const wantIds = new Set(want.map(r => grantId(r.permission, 'range' in r ? r.range : new Range(r.key))))
    for (const have of await role.permissions()) {
      if (!wantIds.has(grantId(have.permission, have.range))) await role.revoke({ permission: have.permission, range: have.range })
    }
    if (want.length > 0) await role.grant(want)
    await ensureUser(client, id.user, id.user)
  }
  await ensureUser(client, ROOT, ROOT)
  await ensureUser(client, admin, ROOT)
  await removeStaleHostIdentities(client, identities)
  await client.auth.authEnable()
}

/** Per-host identities (the only ones named after a host) that the plan no longer has. */
const PER_HOST = /^(conductor|ambassador)-/

async function removeStaleHostIdentities(client: Etcd3, identities: readonly EtcdIdentity[]): Promise<void> {
  const keep = new Set(identities.map(i => i.user))
  for (const user of await client.getUsers()) {
    if (PER_HOST.test(user.name) && !keep.has(user.name)) await user.delete()
  }
  for (const role of await client.getRoles()) {
    if (PER_HOST.test(role.name) && !keep.has(role.name)) await role.delete()
  }
}
