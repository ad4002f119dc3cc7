// What the ambassador's defaults need to know about this host: the docker bridge's
// address (where containers reach us), the address of the default route's interface
// (the public one), and the resolver in /etc/resolv.conf. The parsers are pure; the
// readers at the bottom are the only I/O.
import { execFileSync } from 'node:child_process'
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

/** First IPv4 address in `ip -4 -o addr show dev X` output, or undefined. */
export function parseIpAddrOutput(text: string): string | undefined {
  return text.match(/\binet (\d+\.\d+\.\d+\.\d+)\//)?.[1]
}

export interface HostFacts {
  /** IPv4 address of an interface, or undefined when it has none. */
  interfaceAddress(name: string): string | undefined
  defaultRouteInterface(): string | undefined
  resolvConf(): string
}

export const realHostFacts: HostFacts = {
  interfaceAddress(name) {
    const up = networkInterfaces()[name]?.find((a) => a.family === 'IPv4')?.address
    if (up) return up
    // Node lists only interfaces that are up, and docker0 is down (no carrier) while no
    // container runs, yet its address is there and can be bound. Ask iproute2.
    try {
      return parseIpAddrOutput(execFileSync('ip', ['-4', '-o', 'addr', 'show', 'dev', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }))
    } catch {
      return undefined
    }
  },
  defaultRouteInterface() {
    try { return parseDefaultRouteInterface(readFileSync('/proc/net/route', 'utf8')) } catch { return undefined }
  },
  resolvConf() {
    try { return readFileSync('/etc/resolv.conf', 'utf8') } catch { return '' }
  },
}
