// Runs dokkaacfg as a user does, in a child process, for the CLI tests.
import { spawn } from 'node:child_process'
import { join } from 'node:path'

const main = join(import.meta.dirname, 'main.ts')

export interface CliResult { status: number | null; stdout: string; stderr: string }

export function runCli(args: string[], env: NodeJS.ProcessEnv = process.env, input = ''): Promise<CliResult> {
  return new Promise(resolve => {
    const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], { cwd: join(import.meta.dirname, '..'), env })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', d => { stdout += d })
    child.stderr.on('data', d => { stderr += d })
    child.on('close', status => resolve({ status, stdout, stderr }))
    child.stdin.end(input)
  })
}
