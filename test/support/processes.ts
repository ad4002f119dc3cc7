// Child processes under test (a conductor, an ambassador, the builder...): spawn one,
// keep every line it prints for assertions, stop exactly that pid.
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { TeardownHost } from './teardown-host.js'
import { StopWaiting, waitFor, type WaitForOptions } from './wait-for.js'

export interface ProcessExit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface StartProcessOptions {
  cwd?: string
  /** Pass tap's `t` to have the process stopped (SIGTERM, then SIGKILL) when the test ends. */
  t?: TeardownHost
  /** Name in echoed output; defaults to the script or command. */
  name?: string
}

export interface StartedProcess {
  readonly pid: number
  readonly name: string
  /** stdout and stderr lines, in arrival order. */
  readonly lines: string[]
  readonly stdout: string[]
  readonly stderr: string[]
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ProcessExit>
  /** The exit, once it happened. */
  exit(): ProcessExit | undefined
  /** All lines so far, joined: handy in assertion messages. */
  output(): string
  /** Waits until a line matches (a string matches as a substring) and returns it. */
  waitForLine(pattern: string | RegExp, options?: WaitForOptions): Promise<string>
  /**
   * Sends `signal` (default SIGTERM) to this pid only and waits for the exit; after
   * `killAfterMs` (default 10 000) sends SIGKILL. Returns the exit; a process that
   * already exited is not signalled.
   */
  stop(signal?: NodeJS.Signals, killAfterMs?: number): Promise<ProcessExit>
}

// Safety net: a test that crashes before stopping its children must not leave them
// running (they would hold etcd leases and containers). Only our own pids.
const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

const echo = process.env.DOKKAA_TEST_ECHO === '1'

/**
 * Spawns `cmd args` with `env` layered over this process's environment (a value of
 * undefined removes that variable), no stdin. Set DOKKAA_TEST_ECHO=1 to also copy
 * its lines to stderr while debugging.
 */
export function startProcess(
  cmd: string,
  args: readonly string[] = [],
  env: Record<string, string | undefined> = {},
  options: StartProcessOptions = {},
): StartedProcess {
  const childEnv: NodeJS.ProcessEnv = { ...process.env }
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete childEnv[k]
    else childEnv[k] = v
  }
  const child = spawn(cmd, [...args], {
    cwd: options.cwd,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const name = options.name ?? cmd
  const lines: string[] = []
  const stdout: string[] = []
  const stderr: string[] = []
  let exitInfo: ProcessExit | undefined
  running.add(child)

  // 'close' (not 'exit') so that every line has been read by the time `exited` resolves.
  const exited = new Promise<ProcessExit>(resolve => {
    child.once('error', err => {
      lines.push(`[spawn error] ${err.message}`)
      exitInfo ??= { code: null, signal: null }
      running.delete(child)
      resolve(exitInfo)
    })
    child.once('close', (code, signal) => {
      exitInfo ??= { code, signal }
      running.delete(child)
      resolve(exitInfo)
    })
  })

  const collect = (stream: NodeJS.ReadableStream, into: string[]) => {
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', line => {
      into.push(line)
      lines.push(line)
      if (echo) process.stderr.write(`[${name} ${child.pid}] ${line}\n`)
    })
  }
  collect(child.stdout!, stdout)
  collect(child.stderr!, stderr)

  const started: StartedProcess = {
    // A failed spawn (ENOENT) has no pid; -1 can never be signalled by stop().
    pid: child.pid ?? -1,
    name,
    lines,
    stdout,
    stderr,
    exited,
    exit: () => exitInfo,
    output: () => lines.join('\n'),
    async waitForLine(pattern, opts = {}) {
      const test = typeof pattern === 'string' ? (l: string) => l.includes(pattern) : (l: string) => pattern.test(l)
      return waitFor(
        () => {
          const hit = lines.find(test)
          if (hit !== undefined) return hit
          if (exitInfo) throw new StopWaiting(`${name} exited (${JSON.stringify(exitInfo)}) first`)
          return undefined
        },
        { intervalMs: 50, what: `a line matching ${String(pattern)} from ${name}`, ...opts },
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n--- output of ${name} (pid ${child.pid}):\n${started.output()}`, { cause: err })
      })
    },
    async stop(signal = 'SIGTERM', killAfterMs = 10_000) {
      if (exitInfo || child.pid === undefined) return exited
      child.kill(signal)
      const timer = setTimeout(() => {
        if (!exitInfo) child.kill('SIGKILL')
      }, killAfterMs)
      try {
        return await exited
      } finally {
        clearTimeout(timer)
      }
    },
  }
  options.t?.teardown(() => started.stop())
  return started
}

/** The project root (this file is test/support/processes.ts). */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url))

// Resolved here, so a child started in another cwd still finds the project's tsx.
const TSX_LOADER = import.meta.resolve('tsx')

/**
 * Runs a TypeScript entry point the way the project's bins run in development:
 * `node --import tsx <script> ...args` (one process, so stop() reaches the program
 * itself, unlike the `tsx` CLI which forks). `script` is relative to `cwd`, which
 * defaults to the project root: `startTsProcess('conductor/main.ts', [...])`.
 */
export function startTsProcess(
  script: string,
  args: readonly string[] = [],
  env: Record<string, string | undefined> = {},
  options: StartProcessOptions = {},
): StartedProcess {
  return startProcess(process.execPath, ['--import', TSX_LOADER, script, ...args], env, {
    name: script,
    cwd: PROJECT_ROOT,
    ...options,
  })
}
