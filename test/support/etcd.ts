// A private corner of the bed's etcd for one test: every test gets its own random
// key prefix, so tests can run in parallel against one etcd and never see each
// other's keys, and cleanup removes exactly what the test wrote.
import { randomBytes } from 'node:crypto'
import { Etcd3, type Namespace } from 'etcd3'
import type { TeardownHost } from './teardown-host.js'

/** The etcd the tests use: DOKKAA_TEST_ETCD (comma-separated URLs) or the bed's default. */
export const TEST_ETCD_URL = process.env.DOKKAA_TEST_ETCD ?? 'http://127.0.0.1:23790'

export interface TestEtcd {
  /** A client on the whole keyspace; the keys of this test start with `prefix`. */
  readonly client: Etcd3
  /** Unique per call, like "/t-3f9a1c2b7e" (no trailing slash, as schemas' key layout wants). */
  readonly prefix: string
  /** `client.namespace(prefix + '/')`: this test's keys with the prefix taken off. */
  readonly ns: Namespace
  /** The endpoints, to hand to a process under test. */
  readonly hosts: string[]
  /** Deletes every key under `prefix` and closes the client. Safe to call twice. */
  cleanup(): Promise<void>
}

export function etcdHosts(): string[] {
  return TEST_ETCD_URL.split(',').map(h => h.trim()).filter(h => h !== '')
}

export function uniquePrefix(stem = 't'): string {
  return `/${stem}-${randomBytes(5).toString('hex')}`
}

/** Pass tap's `t` to have cleanup run at the end of that test. */
export function testEtcd(t?: TeardownHost): TestEtcd {
  const hosts = etcdHosts()
  const client = new Etcd3({ hosts })
  const prefix = uniquePrefix()
  let cleaned: Promise<void> | undefined
  const testEtcd: TestEtcd = {
    client,
    prefix,
    ns: client.namespace(`${prefix}/`),
    hosts,
    cleanup() {
      cleaned ??= (async () => {
        try {
          await client.delete().prefix(`${prefix}/`)
        } finally {
          client.close()
        }
      })()
      return cleaned
    },
  }
  t?.teardown(() => testEtcd.cleanup())
  return testEtcd
}
