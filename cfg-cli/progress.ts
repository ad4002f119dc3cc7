// Progress lines for long commands: one line per step with its duration, to stderr so
// stdout stays clean for --json output.
export interface Progress {
  step<T>(label: string, fn: () => Promise<T>): Promise<T>
  info(line: string): void
}

export function consoleProgress(out: NodeJS.WritableStream = process.stderr, now: () => number = Date.now): Progress {
  return {
    async step(label, fn) {
      const t0 = now()
      out.write(`• ${label} …\n`)
      try {
        const r = await fn()
        out.write(`  ✓ ${label} (${((now() - t0) / 1000).toFixed(1)} s)\n`)
        return r
      } catch (e) {
        out.write(`  ✗ ${label}\n`)
        throw e
      }
    },
    info(line) { out.write(`  ${line}\n`) },
  }
}

export const silentProgress: Progress = {
  step: (_label, fn) => fn(),
  info: () => undefined,
}
