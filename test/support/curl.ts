// The real curl as a user runs it, for TLS tests (--cacert, --resolve): its output, and its
// exit code instead of a throw (35: the handshake failed, 60: the certificate not trusted).
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const exec = promisify(execFile)

export async function curl(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await exec('curl', ['-sS', '--max-time', '10', '--noproxy', '*', ...args], { timeout: 20_000 })
    return { code: 0, out: stdout }
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }
  }
}
