// Writes a plan to etcd in transactions guarded by the leader key: if this scheduler
// was deposed (its election key vanished with its lease), etcd refuses the writes, so
// a stale leader can never overwrite the new one's decisions.
import type { Etcd3 } from 'etcd3'
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

export async function writePlan(client: Etcd3, keys: KeyLayout, leaderKey: string, plan: SchedulePlan): Promise<Written> {
  const written: Written = { puts: [], deletes: [] }
  // Ports first: the assignments below carry them, so they must exist when those land.
  for (const claim of chunkClaims(plan.ports ?? [])) await claimPorts(client, keys, leaderKey, claim, written)
  // Deletes before puts, so a move (delete on the old host, put on the new) lands in one
  // transaction unless the plan is larger than one.
  const ops: Op[] = [
    ...plan.deletes.map(key => ({ kind: 'delete' as const, key })),
    ...plan.puts.map(p => ({ kind: 'put' as const, key: p.key, value: JSON.stringify(p.value) })),
    ...plan.statuses.map(s => ({ kind: 'put' as const, key: s.key, value: JSON.stringify(s.status) })),
  ]
  for (const chunk of chunks(ops)) {
    let res
    try {
      res = await client.if(leaderKey, 'Create', '>', 0)
        .then(...chunk.map(op => (op.kind === 'put' ? client.put(op.key).value(op.value) : client.delete().key(op.key))))
        .commit()
    } catch (err) {
      throw fromEtcdError(err, 'write the schedule')
    }
    if (!res.succeeded) throw new DeposedError(leaderKey)
    const revision = Number(res.header.revision)
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
async function claimPorts(client: Etcd3, keys: KeyLayout, leaderKey: string, claims: readonly PortAllocation[], written: Written): Promise<void> {
  const puts = claims.flatMap(c => [
    { key: keys.port(c.app, c.service), value: String(c.port) },
    { key: keys.portOwner(c.port), value: `${c.app}/${c.service}` },
  ])
  let txn = client.if(leaderKey, 'Create', '>', 0)
  for (const p of puts) txn = txn.and(p.key, 'Create', '==', 0)
  let res
  try {
    res = await txn.then(...puts.map(p => client.put(p.key).value(p.value))).commit()
  } catch (err) {
    throw fromEtcdError(err, 'claim proxy ports')
  }
  if (!res.succeeded) {
    const leader = await client.get(leaderKey).string().catch((err: unknown) => { throw fromEtcdError(err, 'read the leader key') })
    if (leader === null) throw new DeposedError(leaderKey)
    const which = claims.map(c => `${c.app}/${c.service}:${c.port}`).join(', ')
    throw new SchedulerError('DKA_SCHEDULER_PORT_TAKEN', `one of the proxy ports ${which} was taken meanwhile; planning again`)
  }
  const revision = Number(res.header.revision)
  for (const p of puts) written.puts.push({ ...p, revision })
}

/** Claims in batches that stay under etcd's operation limit (compares and puts both count). */
function chunkClaims(claims: readonly PortAllocation[]): PortAllocation[][] {
  const perTxn = Math.floor(MAX_OPS_PER_TXN / 4)
  const out: PortAllocation[][] = []
  for (let i = 0; i < claims.length; i += perTxn) out.push(claims.slice(i, i + perTxn))
  return out
}

type Op = { kind: 'put'; key: string; value: string } | { kind: 'delete'; key: string }

/** Consecutive runs of ops within both limits (an op larger than the byte limit goes alone). */
export function chunks<T extends Op>(ops: readonly T[], maxOps = MAX_OPS_PER_TXN, maxBytes = MAX_BYTES_PER_TXN): T[][] {
  const out: T[][] = []
  let current: T[] = []
  let bytes = 0
  for (const op of ops) {
    const size = Buffer.byteLength(op.key) + (op.kind === 'put' ? Buffer.byteLength(op.value) : 0) + 16
    if (current.length > 0 && (current.length >= maxOps || bytes + size > maxBytes)) {
      out.push(current)
      current = []
      bytes = 0
    }
    current.push(op)
    bytes += size
  }
  if (current.length > 0) out.push(current)
  return out
}
