// One place decides between human lines and --json for every command.
export interface Output {
  json: boolean
  /** Prints `value` as JSON with --json, else the human lines. */
  result(value: unknown, human: () => string[]): void
}

export function makeOutput(json: boolean, out: NodeJS.WritableStream = process.stdout): Output {
  return {
    json,
    result(value, human) {
      if (json) out.write(JSON.stringify(value, null, 2) + '\n')
      else for (const l of human()) out.write(l + '\n')
    },
  }
}

/** Formats rows as aligned columns with a header. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? '').length)))
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()
  return [line(header), ...rows.map(line)]
}
