// The kv contract against the real etcd: kit/kv.ts's etcdKv on a private etcd (the suite
// compacts history, which the shared etcd must never see), its watches through a TCP proxy
// the suite can cut. The same suite runs against the in-memory fake in kv-contract.test.ts.
import t from 'tap'
import { Etcd3 } from 'etcd3'
import { etcdKv } from '../../kit/kv.js'
import { uniquePrefix } from './etcd.js'
import { kvContract } from './kv-contract.js'
import { startOwnEtcd } from './own-etcd.js'
import { startTcpProxy } from './tcp-proxy.js'

const own = await startOwnEtcd()
t.teardown(() => own.close())
const directClient = new Etcd3({ hosts: [own.url] })
t.teardown(() => directClient.close())
const direct = etcdKv(directClient)

kvContract(t, async t => {
  const proxy = await startTcpProxy(own.url)
  const client = new Etcd3({ hosts: [proxy.url] })
  t.teardown(async () => { client.close(); await proxy.close() })
  return {
    kv: etcdKv(client),
    direct,
    prefix: `${uniquePrefix('c')}/`,
    cut: () => proxy.cut(),
    restore: () => proxy.restore(),
    async compact() {
      const revision = await direct.revision()
      await directClient.kv.compact({ revision: String(revision), physical: true })
      return revision
    },
  }
})
