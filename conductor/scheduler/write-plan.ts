// Writes a plan to etcd in transactions guarded by the leader key: if this scheduler
// was deposed (its election key vanished with its lease), etcd refuses the writes, so
// a stale leader can never overwrite the new one's decisions.
import { kvOf, type EtcdClient, type Kv, type KvCondition, type KvOp } from '../../kit/kv.js'
import type { KeyLayout, PortAllocation } from '../../schemas/index.js'
import { DeposedError, fromEtcdError, SchedulerError } from './errors.js'
import type { SchedulePlan } from './plan-types.js'

// etcd 3.4 refuses transactions of more than 128 operations (--max-txn-ops), and
// requests over 1.5 MiB (--max-request-bytes): a plan placing 30 instances of a 60 KiB
// manifest is 1.8 MB of assignments. A transaction etcd refuses would be retried for
// ever, stalling the scheduler, so plans are cut by count and by size.
export const MAX_OPS_PER_TXN = 100
export const MAX_BYTES_PER_TXN = 1024 * 1024

export interface Written {
  /** etcd revision of each committed key, to feed the cache without waiting for the watch. */
  puts: { key: string; value: string; revision: number }[]
  deletes: { key: string; revision: number }[]
}

export async function writePlan(store: Kv | EtcdClient, keys: KeyLayout, leaderKey: string, plan: SchedulePlan): Promise<Written> {
  const kv = kvOf(store)
  const written: Written = { puts: [], deletes: [] }
  // Ports first: the assignments below carry them, so they must exist when those land.
  for (const claim of chunkClaims(plan.ports ?? [])) await claimPorts(kv, keys, leaderKey, claim, written)
  // Deletes before puts, so a move (delete on the old host, put on the new) lands in one
  // transaction unless the plan is larger than one. A volume home goes right before the
  // assignment of its instance, never cut from it.
  const homes = new Map((plan.homes ?? []).map(h => [h.key, h]))
  const op = (key: string, value: unknown): KvOp => ({ kind: 'put', key, value: JSON.stringify(value) })
  const groups: KvOp[][] = plan.deletes.map(key => [{ kind: 'delete' as const, key }])
  for (const p of plan.puts) {
    const ref = keys.parseAssignment(p.key)
    const home = ref && homes.get(keys.volumeHome(ref))
    if (home) homes.delete(home.key)
    groups.push(home ? [op(home.key, home.value), op(p.key, p.value)] : [op(p.key, p.value)])
  }
  for (const h of homes.values()) groups.push([op(h.key, h.value)])
  for (const s of plan.statuses) groups.push([op(s.key, s.status)])
  for (const chunk of chunkGroups(groups)) {
    let revision
    try {
      revision = await kv.txn([leads(leaderKey)], chunk)
    } catch (err) {
      throw fromEtcdError(err, 'write the schedule')
    }
    if (revision === undefined) throw new DeposedError(leaderKey)
    for (const op of chunk) {
      if (op.kind === 'put') written.puts.push({ key: op.key, value: op.value, revision })
      else written.deletes.push({ key: op.key, revision })
    }
  }
  return written
}

// Each claim is two puts (the service's port, the port's owner) guarded by both keys not
// existing yet, and the whole batch by the leader key: a port is never handed out twice,
// and a deposed scheduler claims none.
async function claimPorts(kv: Kv, keys: KeyLayout, leaderKey: string, claims: readonly PortAllocation[], written: Written): Promise<void> {
  const puts = claims.flatMap(c => [
    { kind: 'put' as const, key: keys.port(c.app, c.service), value: String(c.port) },
    { kind: 'put' as const, key: keys.portOwner(c.port), value: `${c.app}/${c.service}` },
  ])
  let revision
  try {
    revision = await kv.txn([leads(leaderKey), ...puts.map(p => ({ key: p.key, exists: false }))], puts)
  } catch (err) {
    throw fromEtcdError(err, 'claim proxy ports')
  }
  if (revision === undefined) {
    const leader = await kv.get(leaderKey).catch((err: unknown) => { throw fromEtcdError(err, 'read the leader key') })
    if (leader === undefined) throw new DeposedError(leaderKey)
    const which = claims.map(c => `${c.app}/${c.service}:${c.port}`).join(', ')
    throw new SchedulerError('DKA_SCHEDULER_PORT_TAKEN', `one of the proxy ports ${which} was taken meanwhile; planning again`)
  }
  for (const p of puts) written.puts.push({ key: p.key, value: p.value, revision })
}

/** The guard of every write: this scheduler's election key still exists (its lease lives). */
function leads(leaderKey: string): KvCondition {
  return { key: leaderKey, exists: true }
}

/** Claims in batches that stay under etcd's operation limit (compares and puts both count). */
function chunkClaims(claims: readonly PortAllocation[]): PortAllocation[][] {
  const perTxn = Math.floor(MAX_OPS_PER_TXN / 4)
  const out: PortAllocation[][] = []
  for (let i = 0; i < claims.length; i += perTxn) out.push(claims.slice(i, i + perTxn))
  return out
}

/** Consecutive runs of ops within both limits (an op larger than the byte limit goes alone). */
export function chunks<T extends KvOp>(ops: readonly T[], maxOps = MAX_OPS_PER_TXN, maxBytes = MAX_BYTES_PER_TXN): T[][] {
  return chunkGroups(ops.map(op => [op]), maxOps, maxBytes)
}

/** The same, for groups of ops that must land together (a group larger than a limit goes alone). */
export function chunkGroups<T extends KvOp>(groups: readonly (readonly T[])[], maxOps = MAX_OPS_PER_TXN, maxBytes = MAX_BYTES_PER_TXN): T[][] {
  const out: T[][] = []
  let current: T[] = []
  let bytes = 0
  for (const group of groups) {
    const size = group.reduce((n, op) => n + Buffer.byteLength(op.key) + (op.kind === 'put' ? Buffer.byteLength(op.value) : 0) + 16, 0)
    if (current.length > 0 && (current.length + group.length > maxOps || bytes + size > maxBytes)) {
      out.push(current)
      current = []
      bytes = 0
    }
    current.push(...group)
    bytes += size
  }
  if (current.length > 0) out.push(current)
  return out
}
