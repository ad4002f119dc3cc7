// Runs external commands (ip, iptables, nsenter…) without a shell, so names never
// need quoting. Non-zero exits become CommandError unless the caller allows them.
import { execFile } from 'node:child_process'
import { CommandError } from './errors.js'

export interface CommandResult { status: number; stdout: string; stderr: string }

export interface RunOptions {
  /** Return the result instead of throwing on a non-zero exit. */
  allowFail?: boolean
  input?: string
  timeoutMs?: number
  env?: NodeJS.ProcessEnv
}

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      timeout: opts.timeoutMs ?? 120_000,
      env: opts.env ?? process.env,
    }, (err, stdout, stderr) => {
      const status = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0
      if (status !== 0 && !opts.allowFail) {
        reject(new CommandError([cmd, ...args].join(' '), status, stderr || String(err?.message ?? '')))
        return
      }
      resolve({ status, stdout, stderr })
    })
    if (opts.input !== undefined) child.stdin?.end(opts.input)
  })
}

/** Runs a command inside a network namespace (nsenter keeps the host's mounts, unlike `ip netns exec`). */
export function runInNetns(netns: string, cmd: string, args: string[], opts: RunOptions = {}): Promise<CommandResult> {
  return run('nsenter', [`--net=/var/run/netns/${netns}`, '--', cmd, ...args], opts)
}
