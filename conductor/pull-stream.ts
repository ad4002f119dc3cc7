// Follows the progress stream of a Docker pull to its end. Every way it can end badly —
// the socket cut ('error', 'aborted', or 'close' before 'end'), a line that is not JSON,
// a torn last line, an error line from the engine ("manifest unknown", a registry that
// refuses the connection) — settles the promise with a reason. An 'error' listener stays
// on the stream after that, so a late error can never become an uncaught exception.
import { JsonLineSplitter, type JsonLine } from './json-lines.js'

export interface PullEvent {
  status?: string
  progress?: string
  progressDetail?: { current?: number; total?: number }
  id?: string
  error?: string
  errorDetail?: { message?: string }
}

/** Resolves when the engine finished the pull; rejects with an Error saying why it did not. */
export function followPull(stream: NodeJS.ReadableStream, onEvent: (e: PullEvent) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const lines = new JsonLineSplitter()
    let settled = false
    const done = (err?: Error) => {
      if (settled) return
      settled = true
      stream.removeListener('data', onData)
      if (err) {
        reject(err)
        // Nothing more is wanted from this pull.
        ;(stream as { destroy?: () => void }).destroy?.()
      } else {
        resolve()
      }
    }
    const take = (line: JsonLine | undefined): boolean => {
      if (!line) return true
      if (!line.ok) {
        done(new Error(`the engine sent a progress line that is ${line.message}: ${JSON.stringify(line.line)}`))
        return false
      }
      const e = line.value
      if (typeof e !== 'object' || e === null || Array.isArray(e)) return true
      const ev = e as PullEvent
      const error = typeof ev.error === 'string' ? ev.error : typeof ev.errorDetail?.message === 'string' ? ev.errorDetail.message : undefined
      if (error !== undefined) {
        done(new Error(error))
        return false
      }
      try {
        onEvent(ev)
      } catch {
        // A progress callback's failure is no reason to fail the pull.
      }
      return true
    }
    const onData = (chunk: Buffer | string) => {
      for (const line of lines.push(chunk)) if (!take(line)) return
    }
    stream.on('data', onData)
    stream.on('error', (err: Error) => done(new Error(`the pull stream broke: ${err.message}`)))
    stream.on('aborted', () => done(new Error('the pull stream was aborted by the engine')))
    stream.on('end', () => {
      const last = lines.end()
      if (last && !last.ok) return done(new Error(`the pull stream ended in the middle of a line: ${JSON.stringify(last.line)}`))
      if (take(last)) done()
    })
    stream.on('close', () => done(new Error('the pull stream closed before the engine finished')))
  })
}
