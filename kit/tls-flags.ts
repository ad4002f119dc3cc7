// TLS flags that only work together (a certificate without its key, a server that demands
// client certificates without the CA that signs them): all given, or none. Pure; a partial
// set is a FlagError naming the first missing flag and what to pass.
import { FlagError } from './flags.js'

/**
 * `values` by key, `flags` their names ("--tls-cert"); `what` says what they make, for the
 * message ("HTTPS for the console and API"). Blank values (a unit file's unset variable) are not given.
 */
export function allOrNone<K extends string>(values: Record<K, string | undefined>, flags: Record<K, string>, what: string): Record<K, string> | undefined {
  const keys = Object.keys(flags) as K[]
  const given = keys.filter(k => values[k]?.trim())
  if (given.length === 0) return undefined
  const missing = keys.find(k => !values[k]?.trim())
  if (missing !== undefined) {
    const names = keys.map(k => flags[k])
    const together = names.length === 2 ? `${names[0]} and ${names[1]}` : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`
    throw new FlagError(flags[missing], `missing: ${what} needs ${together} together; pass ${flags[missing]} <file> (or none of them)`)
  }
  return Object.fromEntries(keys.map(k => [k, values[k]!.trim()])) as Record<K, string>
}
