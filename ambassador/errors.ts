// The ambassador's error catalogue: every failure a user can see has a class with a
// stable DKA_AMBASSADOR_* code (docs/errors.md lists them). Node and etcd errors are
// translated once, where they happen (flag parsing, binding a listener), so main.ts only
// has to print `message` and pick an exit code.
import { createError, DokkaaError } from '../kit/errors.js'

export class AmbassadorError extends DokkaaError {}

/** A command-line flag has a value the ambassador cannot use. Exit status 2. */
export class BadFlagError extends createError('DKA_AMBASSADOR_BAD_FLAG', {}, AmbassadorError) {
  constructor(readonly flag: string, problem: string) {
    super(`${flag}: ${problem}`)
  }
}

/** A listener could not bind: the address is taken or not on this host. Exit status 2. */
export class BindError extends AmbassadorError {
  override readonly code: 'DKA_AMBASSADOR_ADDRESS_IN_USE' | 'DKA_AMBASSADOR_ADDRESS_NOT_AVAILABLE' | 'DKA_AMBASSADOR_BIND_FAILED'
  constructor(readonly address: string, readonly port: number, readonly flag: string, readonly what: string, cause: NodeJS.ErrnoException) {
    const where = `${address.includes(':') ? `[${address}]` : address}:${port}`
    const message = cause.code === 'EADDRINUSE'
      ? `${what} cannot listen on ${where}: the address is already in use (another process holds it); free it or choose another with ${flag}`
      : cause.code === 'EADDRNOTAVAIL'
        ? `${what} cannot listen on ${where}: no interface of this host has that address; fix ${flag}`
        : cause.code === 'EACCES'
          ? `${what} cannot listen on ${where}: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE); change ${flag}`
          : `${what} cannot listen on ${where} (${cause.code ?? cause.message}); check ${flag}`
    super(message, { cause })
    this.code = cause.code === 'EADDRINUSE' ? 'DKA_AMBASSADOR_ADDRESS_IN_USE'
      : cause.code === 'EADDRNOTAVAIL' ? 'DKA_AMBASSADOR_ADDRESS_NOT_AVAILABLE' : 'DKA_AMBASSADOR_BIND_FAILED'
  }
}

/** The docker bridge's address, needed for a default, could not be found. Exit status 2. */
export class NoBridgeAddressError extends createError('DKA_AMBASSADOR_NO_BRIDGE_ADDRESS', {}, AmbassadorError) {
  constructor(iface: string) {
    super(`no IPv4 address on the docker bridge interface "${iface}" (is dockerd running?); pass --dns-listen and --proxy-listen explicitly, or --bridge-interface`)
  }
}

/** etcd did not answer the first read. Exit status 1 (a retry by the supervisor may help). */
export class EtcdUnavailableError extends createError('DKA_AMBASSADOR_ETCD_UNAVAILABLE', {}, AmbassadorError) {
  constructor(endpoints: string, cause: unknown) {
    super(`cannot read the service records from etcd at ${endpoints}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
  }
}

/** Translate a listen() failure into a BindError naming the flag that chose the address. */
export function bindError(err: unknown, address: string, port: number, flag: string, what: string): Error {
  const e = err as NodeJS.ErrnoException
  return typeof e?.code === 'string' && e.syscall !== undefined && /listen|bind/.test(e.syscall)
    ? new BindError(address, port, flag, what, e)
    : typeof e?.code === 'string' && ['EADDRINUSE', 'EADDRNOTAVAIL', 'EACCES'].includes(e.code)
      ? new BindError(address, port, flag, what, e)
      : (err as Error)
}
