// Splits a stream of newline-delimited JSON (Docker's pull progress and event streams)
// into parsed values. Parsing happens here, outside any stream 'data' handler's reach:
// a line that is not JSON is an item the caller decides about, never an exception thrown
// inside an event emitter (docker-modem's followProgress did that, and one junk line
// from the engine became an uncaught exception that took the conductor down).

export type JsonLine =
  | { ok: true; value: unknown }
  | { ok: false; line: string; message: string }

/** Longest line kept while waiting for its newline: a stream that never sends one must not grow memory without end. */
export const MAX_JSON_LINE = 1024 * 1024

export class JsonLineSplitter {
  private buffer = ''

  constructor(private readonly maxLine = MAX_JSON_LINE) {}

  /** The complete lines in `chunk` (with whatever was buffered before it), parsed. */
  push(chunk: Buffer | string): JsonLine[] {
    this.buffer += typeof chunk === 'string' ? chunk : chunk.toString('utf8')
    const out: JsonLine[] = []
    let nl: number
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).trim()
      this.buffer = this.buffer.slice(nl + 1)
      if (line) out.push(parseLine(line))
    }
    if (this.buffer.length > this.maxLine) {
      out.push({ ok: false, line: this.buffer.slice(0, 100), message: `a line longer than ${this.maxLine} bytes` })
      this.buffer = ''
    }
    return out
  }

  /** At the end of the stream: the last line if it had no newline (parsed), else undefined. */
  end(): JsonLine | undefined {
    const line = this.buffer.trim()
    this.buffer = ''
    return line ? parseLine(line) : undefined
  }
}

function parseLine(line: string): JsonLine {
  try {
    return { ok: true, value: JSON.parse(line) }
  } catch (err) {
    return { ok: false, line: line.slice(0, 100), message: `not JSON (${(err as Error).message.slice(0, 100)})` }
  }
}
