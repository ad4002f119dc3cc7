// The one way every Dokkaa process makes its etcd client. etcd3's default fault
// handling counts RESOURCE_EXHAUSTED ("response larger than 4 MiB") as a host failure:
// it retries the same too-large read three times and then opens the host's circuit
// breaker, so one oversized read made every other call fail for seconds. Here a
// too-large response is an answer for the caller (loadPrefix reads in smaller pages),
// never a reason to distrust the host.
import { circuitBreaker, ConsecutiveBreaker, handleWhen, retry } from 'cockatiel'
import { Etcd3, isRecoverableError, type IOptions } from 'etcd3'
import { isTooLarge } from './paged-load.js'

/** Recoverable connection trouble, but not a response that was merely too large. */
export function isHostFailure(err: Error): boolean {
  return isRecoverableError(err) && !isTooLarge(err)
}

export function createEtcdClient(options: IOptions): Etcd3 {
  return new Etcd3({
    ...options,
    faultHandling: {
      host: () => circuitBreaker(handleWhen(isHostFailure), { halfOpenAfter: 5000, breaker: new ConsecutiveBreaker(3) }),
      global: retry(handleWhen(isHostFailure), { maxAttempts: 3 }),
      ...options.faultHandling,
    },
  })
}
