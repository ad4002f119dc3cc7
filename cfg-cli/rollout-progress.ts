// How `apply --wait` shows the rollouts it follows, on stderr (stdout stays for --json). On
// a terminal: one line per manifest with a progress bar, redrawn in place. Anywhere else
// (a CI log, a pipe): plain lines, one each time a manifest's state changes, so a log
// reads as a history instead of a screen of escape codes. Image pulls under way show too:
// under the bar on a terminal, as a line each time one moves elsewhere.
import { describe, describeLines, isFinal, type Followed } from './rollout-follow.js'

export interface RolloutProgress {
  update(all: readonly Followed[]): void
}

/** What is written to: process.stderr, or a stand-in in tests. */
export interface ProgressStream {
  write(text: string): unknown
  isTTY?: boolean
  columns?: number
}

const BAR = 20
const UP = (n: number) => `\x1b[${n}A`
const CLEAR_LINE = '\x1b[2K'

export function rolloutProgress(out: ProgressStream = process.stderr): RolloutProgress {
  return out.isTTY ? redrawn(out) : plainLines(out)
}

/** [████████░░░░░░░░░░░░]: the share done, full once it ended well. */
export function bar(f: Followed): string {
  const share = f.state === 'done' ? 1 : f.total > 0 ? Math.min(1, f.done / f.total) : 0
  const full = Math.round(share * BAR)
  return `[${'█'.repeat(full)}${'░'.repeat(BAR - full)}]`
}

/** One terminal line of a target: name, bar, state; cut to the terminal's width. */
export function barLine(f: Followed, nameWidth: number, columns?: number): string {
  const mark = !isFinal(f) ? ' ' : f.state === 'done' ? '✓' : '✗'
  return fit(`${mark} ${f.ref.padEnd(nameWidth)}  ${bar(f)}  ${describe(f)}`, columns)
}

/** Cut to the terminal's width (a pseudo-terminal may report none, 0: 80 then). */
function fit(line: string, columns?: number): string {
  const max = Math.max(20, (columns || 80) - 1)
  return line.length > max ? `${line.slice(0, max - 1)}…` : line
}

/** The pulls under a target's bar while it is under way, indented. */
export function pullLines(f: Followed, columns?: number): string[] {
  return isFinal(f) ? [] : (f.pulling ?? []).map(p => fit(`    ${p}`, columns))
}

function redrawn(out: ProgressStream): RolloutProgress {
  let drawn: string[] = []
  return {
    update(all) {
      const width = Math.max(...all.map(f => f.ref.length))
      const lines = all.flatMap(f => [barLine(f, width, out.columns), ...pullLines(f, out.columns)])
      if (lines.join('\n') === drawn.join('\n')) return
      // A frame shorter than the last (a pull ended) clears the lines it no longer takes.
      const frame = [...lines, ...Array<string>(Math.max(0, drawn.length - lines.length)).fill('')]
      // Back to the first line of the last frame, then every line cleared and written again.
      const back = drawn.length > 0 ? UP(drawn.length) : ''
      out.write(back + frame.map(l => `\r${CLEAR_LINE}${l}\n`).join(''))
      drawn = frame
    },
  }
}

/** Plain lines: a target's state when it changes, and each pull line not said the last time (a pull's progress, when it moves). */
function plainLines(out: ProgressStream): RolloutProgress {
  const last = new Map<string, string>()
  const pulls = new Map<string, ReadonlySet<string>>()
  return {
    update(all) {
      for (const f of all) {
        const lines = describeLines(f)
        const said = lines.join('\n')
        if (last.get(f.ref) !== said) out.write(lines.map(l => `${l}\n`).join(''))
        last.set(f.ref, said)
        const now = isFinal(f) ? [] : f.pulling ?? []
        const before = pulls.get(f.ref) ?? new Set()
        for (const p of now) if (!before.has(p)) out.write(`${f.ref}: ${p}\n`)
        pulls.set(f.ref, new Set(now))
      }
    },
  }
}
