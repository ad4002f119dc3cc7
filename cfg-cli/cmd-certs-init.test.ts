import t from 'tap'
import { parseHostSpec } from './cmd-certs-init.js'

t.test('--host id=address with optional roles', async t => {
  t.same(parseHostSpec('h1=10.0.0.2,etcd,builder'), { id: 'h1', address: '10.0.0.2', etcd: true, builder: true })
  t.same(parseHostSpec('node-2=node2.example.com'), { id: 'node-2', address: 'node2.example.com', etcd: false, builder: false })
  t.same(parseHostSpec(' h3=10.0.0.4,builder '), { id: 'h3', address: '10.0.0.4', etcd: false, builder: true })
})

t.test('a bad --host names itself and the expected shape', async t => {
  t.throws(() => parseHostSpec('h1'), { code: 'DKA_CFG_USAGE', message: /--host "h1": expected <id>=<address>\[,etcd\]\[,builder\]/ })
  t.throws(() => parseHostSpec('h1=10.0.0.2,scheduler'), { message: /unknown role "scheduler" \(roles: etcd, builder\)/ })
  t.throws(() => parseHostSpec('=10.0.0.2'), { message: /expected <id>=<address>/ })
})
