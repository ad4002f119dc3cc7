// Remembers what was already reported, so junk in etcd is logged once — not again on
// every resync pass or scheduler plan that reads it. A key is reported again when its
// version (mod revision, or the value itself) changes. Bounded: a flood of junk keys
// costs at most `max` entries; the oldest are forgotten first (and may be logged again).
import { createHash } from 'node:crypto'

export class LogOnce {
  private readonly seen = new Map<string, string>()

  constructor(private readonly max = 10_000) {}

  /** True the first time `key` is seen at `version`, false after that. */
  first(key: string, version: string | number = ''): boolean {
    key = compact(key)
    const v = String(version)
    if (this.seen.get(key) === v) return false
    this.seen.delete(key)
    this.seen.set(key, v)
    if (this.seen.size > this.max) this.seen.delete(this.seen.keys().next().value!)
    return true
  }

  /** The key is gone: a junk value written there later is news again. */
  forget(key: string): void {
    this.seen.delete(compact(key))
  }

  get size(): number {
    return this.seen.size
  }
}

/** A long key (etcd takes keys of a megabyte) is remembered by its hash. */
function compact(key: string): string {
  return key.length <= 256 ? key : `#${createHash('sha256').update(key).digest('hex')}`
}

/** A key or value as a log line may show it: printable, and short. */
export function shown(s: string, max = 120): string {
  const printable = s.replace(/[^\x20-\x7e]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  return printable.length > max ? `${printable.slice(0, max)}… (${s.length} chars)` : printable
}
