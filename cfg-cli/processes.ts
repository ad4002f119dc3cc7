// Daemons dokkaacfg starts (dockerd, etcd, registry, conductors…) and how it stops
// them: always by the pid it recorded, and only after checking that pid still runs
// the command it started (pids get reused), never by name.
import { spawn } from 'node:child_process'
import { openSync, closeSync, readFileSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { CfgError } from './errors.js'

export interface ProcessRecord {
  pid: number
  /** A string of the command line that identifies it as ours (a data dir, a socket path). */
  marker: string
  log: string
  argv: string[]
}

export interface SpawnOptions {
  /** Run inside this network namespace (via nsenter, which keeps the host's mounts). */
  netns?: string
  env?: NodeJS.ProcessEnv
  cwd?: string
}

/** Starts a daemon in its own session with output to `log`; it outlives this process. */
export function spawnDaemon(argv: string[], marker: string, log: string, opts: SpawnOptions = {}): ProcessRecord {
  const full = opts.netns ? ['nsenter', `--net=/var/run/netns/${opts.netns}`, '--', ...argv] : argv
  mkdirSync(dirname(log), { recursive: true })
  const fd = openSync(log, 'a')
  try {
    const child = spawn(full[0]!, full.slice(1), {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
    })
    child.unref()
    if (child.pid === undefined) throw new Error(`could not start ${full[0]}`)
    // nsenter execs the command in place, so this pid is the daemon's own.
    awaitExec(child.pid, full.join(' '))
    return { pid: child.pid, marker, log, argv: full }
  } finally {
    closeSync(fd)
  }
}

/** Until the forked child has exec'd, /proc/<pid>/cmdline is still node's, and isRunning
 * would call a daemon that is merely starting "exited" (seen under load). Wait for the exec. */
function awaitExec(pid: number, argv: string, timeoutMs = 5000): void {
  const pause = new Int32Array(new SharedArrayBuffer(4))
  const ours = cmdline(process.pid)
  for (let waited = 0; waited < timeoutMs; waited += 5) {
    const cl = cmdline(pid)
    // Mid-exec the kernel shows an empty command line: neither node's nor the daemon's yet.
    if (cl === undefined || cl.trim() === argv || (cl !== ours && cl.trim() !== '')) return
    Atomics.wait(pause, 0, 0, 5)
  }
}

export function cmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ')
  } catch {
    return undefined
  }
}

function isZombie(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
  } catch {
    return true
  }
}

/**
 * Is this recorded process still alive and still ours? An empty command line is a
 * process between two execs (nsenter becoming dockerd): alive, and still the one we
 * started. Seen as "dockerd of … exited:" with an empty log when judged as gone.
 */
export function isRunning(p: Pick<ProcessRecord, 'pid' | 'marker'>): boolean {
  const cl = cmdline(p.pid)
  return cl !== undefined && (cl.includes(p.marker) || cl.trim() === '') && !isZombie(p.pid)
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

/** SIGTERM, wait up to `graceMs`, then SIGKILL. Resolves once it is gone. */
export async function stopProcess(p: Pick<ProcessRecord, 'pid' | 'marker'>, graceMs = 20_000): Promise<void> {
  if (!isRunning(p)) return
  try { process.kill(p.pid, 'SIGTERM') } catch { return }
  const until = Date.now() + graceMs
  while (Date.now() < until) {
    if (!isRunning(p)) return
    await sleep(100)
  }
  try { process.kill(p.pid, 'SIGKILL') } catch { return }
  for (let i = 0; i < 100 && isRunning(p); i++) await sleep(100)
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns whether it succeeded.
 * Errors mean "not yet", except CfgErrors, which mean "never" (a daemon died) and are thrown. */
export async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 200): Promise<boolean> {
  const until = Date.now() + timeoutMs
  for (;;) {
    try {
      if (await check()) return true
    } catch (e) {
      if (e instanceof CfgError) throw e
    }
    if (Date.now() >= until) return false
    await sleep(intervalMs)
  }
}

/** The last lines of a daemon's log, for error messages. */
export function logTail(log: string, lines = 5): string {
  try {
    return readFileSync(log, 'utf8').trim().split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}
