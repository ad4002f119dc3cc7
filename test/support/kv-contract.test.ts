// The kv contract against the in-memory fake (test/support/memory-kv.ts); the same suite runs
// against the real etcd in kv-contract.int.test.ts.
import t from 'tap'
import { kvContract } from './kv-contract.js'
import { MemoryKv } from './memory-kv.js'

kvContract(t, async () => {
  const kv = new MemoryKv()
  return {
    kv,
    direct: kv,
    prefix: '/c/',
    cut: () => kv.cut(),
    restore: () => kv.restore(),
    compact: () => kv.compact(),
  }
})
