// How far a pull is, for a human: Docker streams one status line per layer at a time
// ("Pulling fs layer", "Downloading" with bytes, "Pull complete", "Already exists"); this
// folds them into "2 of 5 layers, 12.0 of 40.1 MB". Pure.
import type { PullProgressEvent } from './docker-engine.js'

const DONE = new Set(['Pull complete', 'Already exists'])
/** Statuses that name a layer (the others are about the image: "Pulling from…", "Digest: …"). */
const LAYER = new Set(['Pulling fs layer', 'Waiting', 'Downloading', 'Verifying Checksum', 'Download complete', 'Extracting', ...DONE])

interface Layer { done: boolean; current: number; total: number }

export class PullProgress {
  private readonly layers = new Map<string, Layer>()

  /** Takes one progress line; true when it changed what summary() says. */
  take(e: PullProgressEvent): boolean {
    if (!e.id || !LAYER.has(e.status)) return false
    const before = this.summary()
    const layer = this.layers.get(e.id) ?? { done: false, current: 0, total: 0 }
    if (DONE.has(e.status)) layer.done = true
    if (e.status === 'Downloading') {
      if (typeof e.current === 'number' && e.current >= 0) layer.current = e.current
      if (typeof e.total === 'number' && e.total > 0) layer.total = e.total
    }
    if (e.status === 'Download complete' && layer.total > 0) layer.current = layer.total
    this.layers.set(e.id, layer)
    return this.summary() !== before
  }

  /** "2 of 5 layers, 12.0 of 40.1 MB" (bytes once Docker told any); "starting" before any layer. */
  summary(): string {
    if (this.layers.size === 0) return 'starting'
    let done = 0
    let current = 0
    let total = 0
    for (const l of this.layers.values()) {
      if (l.done) done++
      current += l.done && l.total > 0 ? l.total : l.current
      total += l.total
    }
    const layers = `${done} of ${this.layers.size} layers`
    return total > 0 ? `${layers}, ${mb(current)} of ${mb(total)} MB` : layers
  }
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1)
}
