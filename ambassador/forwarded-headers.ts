// The request headers a proxied request carries to its backend: the client's own,
// minus the hop-by-hop ones (RFC 9110 §7.6.1), plus X-Forwarded-For/-Host/-Proto.
// Pure.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'proxy-authenticate'])

export function clientAddress(remote: string | undefined): string {
  return (remote ?? '').replace(/^::ffff:/, '')
}

/** Headers minus hop-by-hop ones, including any the Connection header names. */
export function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(String(headers.connection ?? '').toLowerCase().split(',').map((s) => s.trim()).filter(Boolean))
  const out: OutgoingHttpHeaders = {}
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || named.has(k)) continue
    out[k] = v
  }
  return out
}

/** `proto`: how the client reached the router — "https" on the TLS listener. */
export function forwardedRequestHeaders(headers: IncomingHttpHeaders, remote: string | undefined, upgrade = false, proto: 'http' | 'https' = 'http'): OutgoingHttpHeaders {
  const out = endToEnd(headers)
  const client = clientAddress(remote)
  const prior = headers['x-forwarded-for']
  out['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${client}` : client
  if (headers.host) out['x-forwarded-host'] = headers.host
  out['x-forwarded-proto'] = proto
  if (upgrade) {
    // An upgrade is the one hop-by-hop exchange that must reach the backend.
    out.connection = 'Upgrade'
    if (headers.upgrade) out.upgrade = headers.upgrade
  }
  return out
}
