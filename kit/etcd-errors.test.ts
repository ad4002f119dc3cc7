import t from 'tap'
import { GRPCResourceExhastedError, GRPCUnavailableError, GRPCDeadlineExceededError, EtcdLeaseInvalidError, EtcdPermissionDeniedError } from 'etcd3'
import { describeEtcdError, isEtcdError } from './etcd-errors.js'

t.test('etcd3 errors are told apart by kind', async t => {
  t.equal(describeEtcdError(new GRPCUnavailableError('14 UNAVAILABLE: No connection established')).kind, 'unavailable')
  t.equal(describeEtcdError(new GRPCDeadlineExceededError('4 DEADLINE_EXCEEDED')).kind, 'unavailable')
  t.equal(describeEtcdError(new GRPCResourceExhastedError('8 RESOURCE_EXHAUSTED: Received message larger than max (6291891 vs. 4194304)')).kind, 'too-large')
  t.equal(describeEtcdError(new EtcdPermissionDeniedError('etcdserver: permission denied')).kind, 'permission')
  t.equal(describeEtcdError(new Error('etcdserver: mvcc: required revision has been compacted')).kind, 'compacted')
  t.equal(describeEtcdError(new EtcdLeaseInvalidError('7587874395486871042')).kind, 'lease-lost')
  t.equal(describeEtcdError(new Error('etcdserver: requested lease not found')).kind, 'lease-lost')
  t.match(describeEtcdError(new GRPCUnavailableError('down')).message, /down/)
  t.ok(isEtcdError(new GRPCUnavailableError('x')))
  t.ok(isEtcdError(new Error('Execution prevented because the circuit breaker is open')))
  t.notOk(isEtcdError(new Error('ENOENT')))
})
