// The web router's TLS decisions, pure: which certificate answers a TLS handshake's server
// name, and what the plain-HTTP listener does before routing — answer an ACME HTTP-01
// challenge, redirect to HTTPS, or route as before.

/** Where a certificate came from: --tls-dir (the operator's own) or etcd (ACME, via the builder). */
export type CertSource = 'file' | 'etcd'

/** A handshake's server name (SNI) or a Host header, as the certificate tables key it: lowercase, no port, no final dot. */
export function certName(hostOrServername: string): string {
  const h = hostOrServername.trim().toLowerCase()
  // "[::1]:8443" and bare IPv6 keep their colons; "name:8443" loses its port.
  const noPort = h.startsWith('[') ? h.slice(0, h.indexOf(']') + 1) : h.replace(/:\d+$/, '')
  return noPort.replace(/\.$/, '')
}

/**
 * Which table answers `servername`: a file certificate wins (the operator put it there on
 * purpose, say while ACME is broken), then etcd's. undefined: none — the handshake fails.
 */
export function pickCertificate(servername: string, files: { has(name: string): boolean }, etcd: { has(name: string): boolean }): CertSource | undefined {
  const name = certName(servername)
  if (files.has(name)) return 'file'
  if (etcd.has(name)) return 'etcd'
  return undefined
}

export const ACME_CHALLENGE_PATH = '/.well-known/acme-challenge/'

export type PlainHttpAction =
  | { kind: 'challenge'; token: string }
  | { kind: 'redirect'; location: string }
  | { kind: 'route' }

/**
 * What the plain-HTTP listener does with a request. An HTTP-01 challenge is answered for
 * any Host (the ACME server asks for the name being validated, on whichever host DNS
 * sent it to); a name with a certificate is redirected (308: the method and body are
 * kept) to the HTTPS listener's port; everything else is routed as plain HTTP.
 * `httpsPort` undefined: this ambassador serves no HTTPS, so nothing is redirected.
 */
export function plainHttpAction(host: string | undefined, url: string, hasCert: (name: string) => boolean, httpsPort: number | undefined): PlainHttpAction {
  if (url.startsWith(ACME_CHALLENGE_PATH)) return { kind: 'challenge', token: url.slice(ACME_CHALLENGE_PATH.length).replace(/[?#].*$/, '') }
  if (!host || httpsPort === undefined) return { kind: 'route' }
  const name = certName(host)
  if (!hasCert(name)) return { kind: 'route' }
  const port = httpsPort === 443 ? '' : `:${httpsPort}`
  return { kind: 'redirect', location: `https://${name}${port}${url.startsWith('/') ? url : `/${url}`}` }
}
