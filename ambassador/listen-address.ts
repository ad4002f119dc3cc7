// Parsing of "address[:port]" lists as the flags take them. Pure.
import { isIP } from 'node:net'
import { BadFlagError } from './errors.js'

export interface Endpoint { address: string; port: number }

/** "127.0.0.1", "127.0.0.1:5353", "[::1]:53" or "::1" → Endpoint, with `defaultPort` when none is given. */
export function parseEndpoint(text: string, defaultPort: number | undefined, flag: string): Endpoint {
  const s = text.trim()
  let address = s
  let portText: string | undefined
  const bracketed = s.match(/^\[([^\]]+)\](?::(.*))?$/)
  if (bracketed) {
    address = bracketed[1]!
    portText = bracketed[2]
  } else if (isIP(s) !== 6 && s.includes(':')) {
    const i = s.lastIndexOf(':')
    address = s.slice(0, i)
    portText = s.slice(i + 1)
  }
  if (!isIP(address)) throw new BadFlagError(flag, `"${text}" is not an IP address (names are not accepted: the ambassador binds exactly where it is told)`)
  let port = defaultPort
  if (portText !== undefined) port = parsePort(portText, flag, text)
  if (port === undefined) throw new BadFlagError(flag, `"${text}" needs a port (address:port)`)
  return { address, port }
}

export function parsePort(text: string, flag: string, whole = text): number {
  if (!/^\d+$/.test(text)) throw new BadFlagError(flag, `"${whole}": port "${text}" is not a number`)
  const port = Number(text)
  if (port < 1 || port > 65535) throw new BadFlagError(flag, `"${whole}": port ${port} is outside 1-65535`)
  return port
}

/** A comma-separated list of endpoints, duplicates removed. */
export function parseEndpointList(text: string, defaultPort: number | undefined, flag: string): Endpoint[] {
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean)
  if (parts.length === 0) throw new BadFlagError(flag, 'needs at least one address')
  const seen = new Map<string, Endpoint>()
  for (const p of parts) {
    const e = parseEndpoint(p, defaultPort, flag)
    seen.set(formatEndpoint(e), e)
  }
  return [...seen.values()]
}

/** A comma-separated list of bare addresses (no ports). */
export function parseAddressList(text: string, flag: string): string[] {
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean)
  if (parts.length === 0) throw new BadFlagError(flag, 'needs at least one address')
  for (const p of parts) {
    if (!isIP(p)) throw new BadFlagError(flag, `"${p}" is not an IP address (give addresses only; the ports come from the port range)`)
  }
  return [...new Set(parts)]
}

export function formatEndpoint(e: Endpoint): string {
  return isIP(e.address) === 6 ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`
}
