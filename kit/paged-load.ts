// Reads every key under a prefix in pages, all pinned to the revision of the first page,
// so the result is one consistent snapshot however large the keyspace is. A single
// range over /apps once failed for everyone when users' manifests passed gRPC's 4 MiB
// message limit; a page that is still too large (a few huge keys written straight into
// etcd) is read again with half as many keys, down to one key per page.
import { Range, type Etcd3, type IKeyValue } from 'etcd3'

export interface PagedSnapshot {
  kvs: IKeyValue[]
  /** The store revision the snapshot is of: start a watch at revision + 1. */
  revision: number
}

export interface PagedLoadOptions {
  /** Keys per page to start with. */
  pageSize?: number
}

export const DEFAULT_PAGE_SIZE = 500

/** All keys under `prefix`, in key order, read in pages at one revision. */
export function loadPrefix(client: Etcd3, prefix: string, opts: PagedLoadOptions = {}): Promise<PagedSnapshot> {
  return loadRange(client, Range.prefix(prefix), opts)
}

/** All keys of `range` ([start, end)), in key order, read in pages at one revision. */
export async function loadRange(client: Etcd3, range: Range, opts: PagedLoadOptions = {}): Promise<PagedSnapshot> {
  const end = range.end
  let start: Buffer = range.start
  let pageSize = opts.pageSize ?? DEFAULT_PAGE_SIZE
  let revision: number | undefined
  const kvs: IKeyValue[] = []
  for (;;) {
    let res
    try {
      const q = client.getAll().inRange(new Range(start, end)).sort('Key', 'Ascend').limit(pageSize)
      res = await (revision === undefined ? q : q.revision(revision)).exec()
    } catch (err) {
      if (isTooLarge(err) && pageSize > 1) {
        pageSize = Math.max(1, Math.floor(pageSize / 2))
        continue
      }
      throw err
    }
    revision ??= Number(res.header.revision)
    kvs.push(...res.kvs)
    if (!res.more || res.kvs.length === 0) return { kvs, revision }
    // The next page starts just after the last key read.
    start = Buffer.concat([res.kvs[res.kvs.length - 1]!.key, Buffer.from([0])])
  }
}

/** gRPC's "message larger than max" (RESOURCE_EXHAUSTED), however the client wrapped it. */
export function isTooLarge(err: unknown): boolean {
  const e = err as { code?: number; message?: string; name?: string } | undefined
  if (!e) return false
  return e.code === 8 || /RESOURCE_EXHAUSTED|larger than max|ResourceExhast/i.test(`${e.name ?? ''} ${e.message ?? ''}`)
}
