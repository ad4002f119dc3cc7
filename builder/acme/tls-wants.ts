// Which web services want HTTPS: a kit/mirror.ts over /apps/ keeps, per manifest, the
// services with "tls": "auto" and role "web". An invalid manifest keeps what its last valid
// version wanted — as the scheduler keeps running the last valid version — so a typo does
// not take a site's certificate away. Statuses and controls share the range and are skipped.
import type { Kv } from '../../kit/kv.js'
import { prefixEnd } from '../../kit/kv.js'
import { Mirror } from '../../kit/mirror.js'
import { parseManifest, tlsNamesOf, type KeyLayout } from '../../schemas/index.js'

export interface TlsWants {
  /** Every name a certificate is wanted for, under `domain`. */
  names(domain: string): Set<string>
  /** Whether a certificate of this name must be kept though no valid manifest wants it: it is
   * of an app whose manifest mentions tls but is invalid now, and whose last valid version this
   * builder never saw (read at its start, or after a reset). */
  keeps(name: string, domain: string): boolean
  stop(): Promise<void>
}

/** The services a manifest text wants certificates for; undefined: not a valid manifest. */
function tlsServices(text: string, wanted: boolean): string[] | undefined {
  // Most manifests never mention tls and never did: not validated here again (a large
  // cluster's first read stays cheap).
  if (!wanted && !text.includes('"tls"')) return []
  const r = parseManifest(text)
  if (!r.ok) return undefined
  return Object.entries(r.manifest.services).filter(([, s]) => s.role === 'web' && s.tls === 'auto').map(([name]) => name)
}

/** Starts the copy; `onChange` hears when the set of wanting services changed. */
export async function watchTlsWants(kv: Pick<Kv, 'snapshot' | 'watchFrom'>, keys: KeyLayout, onChange: () => void, onResyncError: (err: Error) => void): Promise<TlsWants> {
  const wants = new Map<string, { app: string; services: string[] }>()
  /** Manifest key -> app, of invalid manifests that mention tls and are not in `wants`. */
  const unknown = new Map<string, string>()
  let signature = ''
  const set = (key: string, value: string | undefined): void => {
    const ref = keys.parseManifest(key)
    if (!ref) return
    unknown.delete(key)
    if (value === undefined) { wants.delete(key); return }
    const services = tlsServices(value, wants.has(key) || value.includes('"tls"'))
    if (services === undefined) {
      if (!wants.has(key)) unknown.set(key, ref.app)
      return
    }
    if (services.length === 0) wants.delete(key)
    else wants.set(key, { app: ref.app, services })
  }
  const changed = (): void => {
    const now = JSON.stringify([...wants.entries()].sort(([a], [b]) => a.localeCompare(b)))
    if (now !== signature) { signature = now; onChange() }
  }
  const mirror = new Mirror(kv, { start: keys.apps, end: prefixEnd(keys.apps) }, {
    // Entries still there keep what they wanted when their new value is invalid; the rest go.
    reset(entries) {
      const present = new Set(entries.map(e => e.key))
      for (const key of [...wants.keys()]) if (!present.has(key)) wants.delete(key)
      unknown.clear()
      for (const e of entries) set(e.key, e.value)
      changed()
    },
    apply(events) { for (const e of events) set(e.key, e.type === 'put' ? e.value : undefined); changed() },
  }, { onResyncError })
  await mirror.ready()
  return {
    names(domain) {
      const out = new Set<string>()
      for (const w of wants.values()) {
        for (const n of tlsNamesOf(w.app, { services: Object.fromEntries(w.services.map(s => [s, { port: 1, role: 'web', tls: 'auto' }])) }, domain)) out.add(n)
      }
      return out
    },
    keeps(name, domain) {
      for (const app of unknown.values()) if (name === `${app}.${domain}` || name.endsWith(`.${app}.${domain}`)) return true
      return false
    },
    stop: () => mirror.stop(),
  }
}
