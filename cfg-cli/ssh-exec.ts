// Talking to a host over the system's ssh client: BatchMode (never a password
// prompt), StrictHostKeyChecking=accept-new with the cluster's own known_hosts file
// (a key seen once is pinned; a changed key is refused). Remote steps are
// deploy/ssh-host.sh fed on stdin; the checkout goes over as a tar stream, the cluster key
// over stdin too.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { packageRoot } from './local-agents.js'
import { run } from './run-command.js'
import { AuthError, PreconditionError, ProvisionError } from './errors.js'

export interface SshOptions {
  knownHosts: string
  identity?: string
  port?: number
  connectTimeoutS?: number
}

export function sshArgs(target: string, o: SshOptions): string[] {
  return [
    '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=accept-new',
    '-o', `UserKnownHostsFile=${o.knownHosts}`,
    '-o', `ConnectTimeout=${o.connectTimeoutS ?? 15}`,
    '-o', 'ServerAliveInterval=15',
    ...(o.identity ? ['-o', 'IdentitiesOnly=yes', '-i', o.identity] : []),
    '-p', String(o.port ?? 22),
    target,
  ]
}

interface Piped { status: number; stdout: string; stderr: string }

function pipe(cmd: string, args: string[], input: string | NodeJS.ReadableStream, timeoutMs: number): Promise<Piped> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', d => { stdout += d })
    child.stderr.on('data', d => { stderr += d })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', e => { clearTimeout(timer); reject(e) })
    child.on('close', status => { clearTimeout(timer); resolve({ status: status ?? -1, stdout, stderr }) })
    if (typeof input === 'string') child.stdin.end(input)
    else input.pipe(child.stdin)
  })
}

/** ssh exits 255 for its own failures: unreachable, refused key, changed host key. */
function sshFailure(target: string, r: Piped, what: string): Error {
  const err = r.stderr.trim().split('\n').filter(l => !/^Warning: Permanently added/.test(l)).slice(-3).join(' | ')
  if (r.status === 255) {
    if (/Permission denied|publickey/.test(err)) return new AuthError(`ssh ${target}: key refused (${err})`, 'give the key with --ssh-key FILE; its public half must be in the host\'s authorized_keys')
    if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/.test(err)) return new AuthError(`ssh ${target}: the host key changed since it was first seen (${err})`, 'if the host was reinstalled, remove its line from the cluster\'s known_hosts in --state-dir')
    return new PreconditionError(`ssh ${target}: cannot connect (${err})`, 'check the address, --ssh-port and that sshd runs there')
  }
  return new ProvisionError(`${target}: ${what} failed (exit ${r.status}): ${err || r.stdout.trim().split('\n').slice(-3).join(' | ')}`)
}

const SCRIPT = () => readFileSync(join(packageRoot(), 'deploy', 'ssh-host.sh'), 'utf8')

/** Runs one step of deploy/ssh-host.sh on the host; returns its stdout. */
export async function remoteStep(target: string, o: SshOptions, step: string, args: string[] = [], timeoutMs = 600_000): Promise<string> {
  const quoted = [step, ...args].map(a => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
  const r = await pipe('ssh', [...sshArgs(target, o), `bash -s -- ${quoted}`], SCRIPT(), timeoutMs)
  if (r.status !== 0) throw sshFailure(target, r, step)
  return r.stdout
}

/** The files of this checkout: what git tracks plus untracked, not ignored (no node_modules, dist, logs). */
export async function checkoutFiles(root = packageRoot()): Promise<string[]> {
  if (existsSync(join(root, '.git'))) {
    const r = await run('git', ['-C', root, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'])
    return r.stdout.split('\0').filter(f => f && existsSync(join(root, f)))
  }
  const r = await run('sh', ['-c', `cd '${root}' && find . -type f -not -path './node_modules/*' -not -path './dist/*' -print0`])
  return r.stdout.split('\0').filter(Boolean)
}

/** Copies this checkout to `dest` on the host (replacing what was there), as one tar stream. */
export async function copyCheckout(target: string, o: SshOptions, dest = '/opt/dokkaa'): Promise<number> {
  const files = await checkoutFiles()
  const tar = spawn('tar', ['-C', packageRoot(), '--null', '-T', '-', '-czf', '-'], { stdio: ['pipe', 'pipe', 'inherit'] })
  tar.stdin.end(files.join('\0') + '\0')
  const remote = `set -e; rm -rf '${dest}.new'; mkdir -p '${dest}.new'; tar -xzf - -C '${dest}.new'; rm -rf '${dest}'; mv '${dest}.new' '${dest}'`
  const r = await pipe('ssh', [...sshArgs(target, o), remote], tar.stdout, 600_000)
  if (r.status !== 0) throw sshFailure(target, r, 'copy of the checkout')
  return files.length
}

/** Where the host's builder and conductor read the cluster key (their --cluster-key-file default). */
export const REMOTE_CLUSTER_KEY = '/etc/dokkaa/cluster.key'

/**
 * Puts the cluster's key file on the host, mode 0600, over ssh's stdin (never in an argument,
 * which `ps` shows on both ends). A different key already there is left alone and refused:
 * the secrets of whatever cluster made it are sealed under it.
 */
export async function copyClusterKey(target: string, o: SshOptions, keyText: string): Promise<void> {
  const f = REMOTE_CLUSTER_KEY
  const remote = `set -e; umask 077; mkdir -p '${dirname(f)}'; cat >'${f}.new'; if [ -s '${f}' ] && ! cmp -s '${f}' '${f}.new'; then rm -f '${f}.new'; echo "another cluster key is at ${f}" >&2; exit 3; fi; mv '${f}.new' '${f}'; chmod 600 '${f}'`
  const r = await pipe('ssh', [...sshArgs(target, o), remote], keyText, 60_000)
  if (r.status === 3) throw new PreconditionError(`${target}: another cluster key is at ${f}`, `it seals another cluster's secrets: move it away on ${target} if that cluster is gone, then run up again`)
  if (r.status !== 0) throw sshFailure(target, r, 'copy of the cluster key')
}

/**
 * Puts the host's own certificates and keys (`names`, each a .crt and a .key of `pkiDir`) and
 * the CA certificate into `remoteDir`, over ssh's stdin as a base64 tar (modes kept: keys
 * 0600). Never the CA's key: it stays on the machine that runs `up`.
 */
export async function copyPki(target: string, o: SshOptions, pkiDir: string, names: string[], remoteDir: string): Promise<void> {
  const files = ['ca.crt', ...names.flatMap(n => [`${n}.crt`, `${n}.key`])]
  const tar = await run('sh', ['-c', 'tar -c -C "$0" -- "$@" | base64', pkiDir, ...files])
  const remote = `set -e; umask 077; mkdir -p '${remoteDir}'; chmod 755 '${remoteDir}'; base64 -d | tar -x --no-same-owner -C '${remoteDir}'`
  const r = await pipe('ssh', [...sshArgs(target, o), remote], tar.stdout, 60_000)
  if (r.status !== 0) throw sshFailure(target, r, `copy of the certificates to ${remoteDir}`)
}
