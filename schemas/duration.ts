// Durations as users write them in manifests: "500ms", "5s", "1m30s", "2h" (Go's and
// Docker's spelling, without the units nobody needs here). Pure.

/** One or more <number><unit> parts, largest unit first by habit (not enforced). */
export const DURATION_PATTERN = '^([0-9]{1,6}(\\.[0-9]{1,3})?(ms|s|m|h))+$'

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
const PART = /([0-9]{1,6}(?:\.[0-9]{1,3})?)(ms|s|m|h)/g

/** Milliseconds of a duration, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (typeof text !== 'string' || !new RegExp(DURATION_PATTERN).test(text)) return undefined
  let ms = 0
  for (const m of text.matchAll(PART)) ms += Number(m[1]) * UNIT_MS[m[2]!]!
  return Math.round(ms)
}

/** The shortest spelling of a number of milliseconds: 1500 → "1.5s", 90000 → "1m30s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  const parts: string[] = []
  let rest = Math.round(ms)
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`)
      rest %= size
    }
  }
  if (rest > 0) parts.push(rest % 1000 === 0 ? `${rest / 1000}s` : `${(rest / 1000).toFixed(3).replace(/0+$/, '')}s`)
  return parts.join('')
}
