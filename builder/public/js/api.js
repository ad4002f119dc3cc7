// @ts-check
// The console's one way to the builder: JSON over fetch with the session cookie, and a
// shared EventSource of live changes (fed by etcd watches on the server side).
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {{ message?: string, code?: string, details?: any } | undefined} error
   */
  constructor(status, error) {
    super(error?.message ?? `HTTP ${status}`)
    this.status = status
    this.code = error?.code
    this.details = error?.details
  }
}

/**
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @param {{ text?: boolean, quiet401?: boolean }} [opts]
 * @returns {Promise<any>}
 */
export async function api(method, path, body, opts = {}) {
  /** @type {Record<string, string>} */
  const headers = {}
  /** @type {any} */
  let payload
  if (body !== undefined) {
    if (opts.text) { headers['content-type'] = 'text/plain'; payload = body }
    else { headers['content-type'] = 'application/json'; payload = JSON.stringify(body) }
  }
  const res = await fetch(`/api/v1${path}`, { method, headers, body: payload, credentials: 'same-origin' })
  if (res.status === 204) return null
  const data = await res.json().catch(() => null)
  if (!res.ok) {
    if (res.status === 401 && !opts.quiet401) window.dispatchEvent(new CustomEvent('dokkaa:unauthorized'))
    throw new ApiError(res.status, data?.error)
  }
  return data
}

/** @param {...(string | number)} parts */
export const path = (...parts) => parts.map(encodeURIComponent).join('/')

/** @type {EventSource | undefined} */
let source
/** @type {Set<(change: any) => void>} */
const listeners = new Set()

/**
 * Calls fn(change) for every live change; returns the unsubscribe function.
 * @param {(change: any) => void} fn
 */
export function onChange(fn) {
  listeners.add(fn)
  if (!source) {
    source = new EventSource('/api/v1/events')
    source.addEventListener('change', ev => {
      const change = JSON.parse(ev.data)
      for (const l of [...listeners]) l(change)
    })
  }
  return () => listeners.delete(fn)
}

export function closeEvents() {
  source?.close()
  source = undefined
  listeners.clear()
}

/**
 * Streams an instance's logs into onText until the returned abort function is called.
 * @param {string} app
 * @param {string} name
 * @param {number} index
 * @param {(text: string) => void} onText
 * @param {(why: string) => void} onEnd
 */
export function streamLogs(app, name, index, onText, onEnd) {
  const ctl = new AbortController()
  ;(async () => {
    try {
      const res = await fetch(`/api/v1/apps/${path(app, name)}/instances/${index}/logs?tail=200&follow=1`, { signal: ctl.signal, credentials: 'same-origin' })
      if (!res.ok) {
        const data = await res.json().catch(() => null)
        onEnd(data?.error?.message ?? `HTTP ${res.status}`)
        return
      }
      const reader = /** @type {ReadableStream<Uint8Array>} */ (res.body).getReader()
      const dec = new TextDecoder()
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        onText(dec.decode(value, { stream: true }))
      }
      onEnd('stream ended')
    } catch (/** @type {any} */ err) {
      if (err.name !== 'AbortError') onEnd(err.message)
    }
  })()
  return () => ctl.abort()
}
