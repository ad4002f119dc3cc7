// Small statistics and table helpers shared by the benchmarks.

export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}

export function ms(n: number): string {
  return Number.isFinite(n) ? `${n.toFixed(1)} ms` : 'n/a'
}

export function ratio(value: number, baseline: number): string {
  return Number.isFinite(value) && Number.isFinite(baseline) && baseline > 0 ? `${(value / baseline).toFixed(2)}×` : 'n/a'
}

/** Prints rows as an aligned Markdown table, so the output pastes into the README as is. */
export function printTable(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? '').length)))
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  console.log(`\n### ${title}\n`)
  console.log(line(header))
  console.log(`| ${widths.map(w => '-'.repeat(w)).join(' | ')} |`)
  for (const r of rows) console.log(line(r))
}
