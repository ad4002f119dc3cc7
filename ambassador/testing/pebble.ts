// Let's Encrypt's test ACME server (Debian's pebble) on loopback for the web router's TLS
// tests: pebble-challtestsrv answers pebble's DNS lookups of every name with one loopback
// address (an ambassador's), pebble validates HTTP-01 for real on `httpPort` there (no
// PEBBLE_VA_ALWAYS_VALID; and no authorization reused, so a renewal is validated again),
// without its random sleeps and with no nonces rejected at random.
// Pebble's own HTTPS listener gets a certificate from the test's CA; its issuing root is
// read from its management endpoint. Both processes are stopped at teardown.
import { get } from 'node:https'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startProcess } from '../../test/support/processes.js'
import { issueTestCert, type TestCa } from '../../test/support/test-pki.js'
import type { TeardownHost } from '../../test/support/teardown-host.js'
import { freeDnsPort, freeTcpPort } from './fixtures.js'

export interface Pebble {
  /** The ACME directory URL. */
  directory: string
  /** The PEM file of pebble's issuing root: what a client trusts the issued certificates with. */
  rootFile: string
  output(): string
  /** How many authorizations pebble set valid after a completed challenge (a real HTTP-01 validation). */
  validations(): number
}

function fetchText(url: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, { ca }, (res) => {
      let body = ''
      res.on('data', (d) => { body += d })
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: ${res.statusCode} ${body}`))))
    }).on('error', reject)
  })
}

/** Starts pebble and its DNS; every name resolves to `address`, whose `httpPort` pebble validates HTTP-01 on. */
export async function startPebble(t: TeardownHost, ca: TestCa, address: string, httpPort: number): Promise<Pebble> {
  const [dnsPort, challMgmt, acmePort, mgmtPort, tlsPort] = [await freeDnsPort(), await freeTcpPort(), await freeTcpPort(), await freeTcpPort(), await freeTcpPort()]
  const server = await issueTestCert(ca, 'pebble', { use: 'server', sans: ['IP:127.0.0.1', 'DNS:localhost'] })
  const config = join(ca.dir, 'pebble-config.json')
  await writeFile(config, JSON.stringify({
    pebble: {
      listenAddress: `127.0.0.1:${acmePort}`, managementListenAddress: `127.0.0.1:${mgmtPort}`,
      certificate: server.cert, privateKey: server.key, httpPort, tlsPort, ocspResponderURL: '', externalAccountBindingRequired: false,
    },
  }))
  // DNS only (the other challenge servers off), A answers only: no AAAA to try first.
  const dns = startProcess('pebble-challtestsrv', [
    '-defaultIPv4', address, '-defaultIPv6', '', '-dns01', `127.0.0.1:${dnsPort}`,
    '-http01', '', '-https01', '', '-tlsalpn01', '', '-management', `127.0.0.1:${challMgmt}`,
  ], {}, { t, name: 'pebble-challtestsrv' })
  await dns.waitForLine('Starting management server', { timeoutMs: 15_000 })
  const pebble = startProcess('pebble', ['-config', config, '-dnsserver', `127.0.0.1:${dnsPort}`],
    { PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0', PEBBLE_VA_ALWAYS_VALID: undefined }, { t, name: 'pebble' })
  await pebble.waitForLine('ACME directory available', { timeoutMs: 15_000 })
  const caPem = await readFile(ca.cert, 'utf8')
  const rootFile = join(ca.dir, 'pebble-root.pem')
  await writeFile(rootFile, await fetchText(`https://127.0.0.1:${mgmtPort}/roots/0`, caPem))
  return { directory: `https://127.0.0.1:${acmePort}/dir`, rootFile, output: () => `--- pebble:\n${pebble.output()}\n--- challtestsrv:\n${dns.output()}`,
    validations: () => pebble.lines.filter((l) => /authz \S+ set VALID by completed challenge/.test(l)).length,
  }
}
