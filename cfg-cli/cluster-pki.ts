// The cluster's PKI as the provisioning keeps it: the CA and every certificate of the
// cluster's plan (pki-plan.ts) in one directory, made when missing and kept when still
// good, so `up` and install.sh can run again and again without re-keying a running cluster.
// A certificate is issued again when it is missing, unreadable, not signed by this CA,
// within RENEW_BEFORE_DAYS of expiry, or no longer what the plan asks (CN, SANs, usage) —
// a host whose address changed gets a certificate for its new address.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { expiresInDays, readCertInfo, verifyChain, type CertInfo } from './cert-info.js'
import { componentPlan, ensureCa, issue, type Ca, type ClusterPlanInput, type CertRequest } from './pki.js'

/** Under this many days left, `ensureClusterPki` issues a certificate again. */
export const RENEW_BEFORE_DAYS = 30

export interface ClusterPki {
  dir: string
  ca: Ca
  /** The certificates issued by this call (names), the rest were kept. */
  issued: string[]
  kept: string[]
}

/** `<dir>/<name>.crt` and `.key`: where every part finds its pair. */
export function pairOf(dir: string, name: string): { cert: string; key: string } {
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) }
}

const sorted = (xs: readonly string[]) => [...xs].sort()
const sameList = (a: readonly string[], b: readonly string[]) => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b))

/** Pure: why a certificate on disk no longer serves its request (undefined: it does). */
export function staleReason(info: CertInfo, r: CertRequest, now: Date): string | undefined {
  if (info.commonName !== r.commonName) return `its CN is ${info.commonName}, the plan says ${r.commonName}`
  if (!sameList(info.dnsNames, r.dnsNames) || !sameList(info.ipAddresses, r.ipAddresses)) return 'its names (SANs) are not the plan\'s'
  if (info.usage !== r.usage) return `its usage is ${info.usage}, the plan says ${r.usage}`
  if (expiresInDays(info, now) < RENEW_BEFORE_DAYS) return `it expires within ${RENEW_BEFORE_DAYS} days`
  return undefined
}

function keepReason(dir: string, caFile: string, r: CertRequest, now: Date): string | undefined {
  const { cert, key } = pairOf(dir, r.name)
  if (!existsSync(cert) || !existsSync(key)) return 'missing'
  let info: CertInfo
  try { info = readCertInfo(cert) } catch (e) { return `unreadable (${(e as Error).message})` }
  const chain = verifyChain(caFile, cert)
  if (!chain.ok) return chain.reason
  return staleReason(info, r, now)
}

/**
 * Makes the CA when absent (kept forever after) and issues each planned certificate that is
 * not good as it is — or every one with `force` (rotation). `log` hears one line per
 * certificate issued, with the reason.
 */
export async function ensureClusterPki(dir: string, plan: ClusterPlanInput & { caName: string }, log: (line: string) => void = () => {}, o: { force?: boolean; now?: Date } = {}): Promise<ClusterPki> {
  const now = o.now ?? new Date()
  const requests = componentPlan(plan)
  const ca = await ensureCa(dir, { commonName: plan.caName })
  if (ca.created) log(`CA ${plan.caName}: made (${ca.certFile})`)
  const issued: string[] = []
  const kept: string[] = []
  for (const r of requests) {
    const reason = ca.created ? 'new CA' : o.force ? 'rotation' : keepReason(dir, ca.certFile, r, now)
    if (reason === undefined) { kept.push(r.name); continue }
    await issue(dir, ca, r)
    issued.push(r.name)
    log(`${r.name}: issued (${reason})`)
  }
  return { dir, ca, issued, kept }
}
