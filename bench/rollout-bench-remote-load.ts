// A load (test/deploys/load.ts) running in another network namespace: the client process
// of rollout-bench-client.ts started with nsenter, its answers streamed back line by line,
// so the benchmark watches it exactly as it watches a load in its own process.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { reportOf, type Answer, type Load, type LoadReport, type StreamSpec } from '../test/deploys/load.js'
import { PROJECT_ROOT } from '../test/support/processes.js'

type Line = { answer?: Answer; nextSeq?: number; sent?: Record<string, number>; durationMs?: number; done?: boolean }

/** Starts the load inside the network namespace at `netnsPath` (/proc/<pid>/ns/net). */
export function startRemoteLoad(netnsPath: string, streams: StreamSpec[], accepted: string[]): Load {
  const child = spawn('nsenter', [`--net=${netnsPath}`, '--', process.execPath, '--import', 'tsx', 'bench/rollout-bench-client.ts',
    JSON.stringify({ streams, accepted })], { cwd: PROJECT_ROOT, stdio: ['pipe', 'pipe', 'inherit'] })
  const answers: Answer[] = []
  let nextSeq = 0
  let sent: Record<string, number> = {}
  let durationMs = 0
  const done = new Promise<void>(resolve => {
    createInterface({ input: child.stdout }).on('line', text => {
      const line = JSON.parse(text) as Line
      if (line.answer) answers.push(line.answer)
      if (line.nextSeq !== undefined) nextSeq = line.nextSeq
      if (line.sent) { sent = line.sent; durationMs = line.durationMs ?? 0 }
      if (line.done) resolve()
    })
    child.once('close', () => resolve())
  })
  return {
    answers,
    nextSeq: () => nextSeq,
    async stop(): Promise<LoadReport> {
      child.stdin.end('stop\n')
      await done
      if (child.exitCode === null) child.kill('SIGKILL')
      return reportOf(streams, answers, new Map(Object.entries(sent)), durationMs)
    },
  }
}
