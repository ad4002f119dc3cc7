// Memory sizes as Docker reads them ("512m", "1.5g", "1048576"), shared by the
// scheduler (placement), the quotas and whatever prints a size for a person.

// Docker's units are binary: 1k = 1024 bytes.
const UNIT: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }

/** Parses a size as the manifest schema allows it ("512m", "1.5g", "1048576") into bytes. */
export function parseMemory(text: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)([bkmg]?)$/i.exec(text.trim())
  if (!m) throw new RangeError(`not a memory size: "${text}" (use e.g. 512m, 1g or a number of bytes)`)
  return Math.round(Number(m[1]) * UNIT[m[2]!.toLowerCase()]!)
}

/** "512m", "1.5g": for messages a user reads. */
export function formatMemory(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'unlimited'
  for (const [unit, size] of [['g', 1024 ** 3], ['m', 1024 ** 2], ['k', 1024]] as const) {
    if (Math.abs(bytes) >= size) return `${Number((bytes / size).toFixed(2))}${unit}`
  }
  return `${bytes}b`
}
