import t from 'tap'
import { leaseOfGet } from './lease-bridge.js'

t.test('the lease of etcdctl get -w json, in hex', async t => {
  t.equal(leaseOfGet('{"header":{},"kvs":[{"key":"L2hvc3RzL2gx","lease":577201988541341593,"value":"e30="}],"count":1}'), '802a22682a7df99', 'digits past 2^53 kept exactly')
  t.equal(leaseOfGet('{"header":{},"count":0}'), undefined, 'no key')
  t.equal(leaseOfGet('{"header":{},"kvs":[{"key":"a","value":"b"}],"count":1}'), undefined, 'a key without a lease')
})
