// What the ambassador's defaults need to know about this host: the docker bridge's
// address (where containers reach us), the address of the default route's interface
// (the public one), and the resolver in /etc/resolv.conf. The parsers are pure; the
// readers at the bottom are the only I/O.
import { readFileSync } from 'node:fs'
import { networkInterfaces } from 'node:os'

/** First `nameserver` of a resolv.conf text, or undefined. */
export function parseResolvConf(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const m = line.trim().match(/^nameserver\s+(\S+)/)
    if (m) return m[1]
  }
  return undefined
}

/** Interface of the IPv4 default route in a /proc/net/route text, or undefined. */
export function parseDefaultRouteInterface(text: string): string | undefined {
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/)
    if (cols.length > 2 && cols[1] === '00000000' && cols[7] === '00000000') return cols[0]
  }
  return undefined
}

export interface HostFacts {
  /** IPv4 address of an interface, or undefined when it has none. */
  interfaceAddress(name: string): string | undefined
  defaultRouteInterface(): string | undefined
  resolvConf(): string
}

export const realHostFacts: HostFacts = {
  interfaceAddress(name) {
    return networkInterfaces()[name]?.find((a) => a.family === 'IPv4')?.address
  },
  defaultRouteInterface() {
    try { return parseDefaultRouteInterface(readFileSync('/proc/net/route', 'utf8')) } catch { return undefined }
  },
  resolvConf() {
    try { return readFileSync('/etc/resolv.conf', 'utf8') } catch { return '' }
  },
}
