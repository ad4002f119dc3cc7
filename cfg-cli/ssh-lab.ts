// Test support for the ssh provider: an sshd inside a namespace host of a NetnsLab,
// so `dokkaacfg up --provider=ssh` talks to "machines" over real ssh. Each sshd runs
// in its own mount namespace where /etc, /opt, /var and /run are overlays onto a
// per-host directory: what the provider writes on "the host" (/etc/dokkaa, units,
// /opt/dokkaa, pid files) lands there, not on this machine, and each host sees only
// its own. The host's own dockerd socket is bound at /run/docker.sock; with
// `checkout`, a directory is bound read-only at /opt/dokkaa (the --skip-install case).
//
// The overlays' lower layers are this machine's own directories, so an installed
// Dokkaa (deploy/install.sh: /run/dokkaa/*.pid, /var/lib/dokkaa, /var/log/dokkaa) would
// show through: the host would find its pid files ("already running"), and its `stop`
// would SIGTERM the installed processes (one pid namespace). Those paths are hidden in
// each host (INSTALLED_PATHS): it starts with none of them, and what it writes or
// removes there stays in its own upper layer.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { run } from './run-command.js'
import { spawnDaemon, stopProcess, waitUntil, type ProcessRecord } from './processes.js'
import type { NetnsLab } from './netns-lab.js'

/** Installs Debian's openssh-server if sshd is missing (CI's machine may not have it). */
export async function ensureSshd(): Promise<void> {
  if (existsSync('/usr/sbin/sshd')) return
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const install = () => run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'openssh-server'], { env, timeoutMs: 300_000, allowFail: true })
  if ((await install()).status !== 0) {
    await run('apt-get', ['update', '-qq'], { env, timeoutMs: 300_000 })
    await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'openssh-server'], { env, timeoutMs: 300_000 })
  }
}

/** A client key pair; returns the private key's path (the public one is `<path>.pub`). */
export async function makeKeyPair(dir: string): Promise<string> {
  const key = join(dir, 'id_ed25519')
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'dokkaa-test', '-f', key])
  return key
}

export interface SshHost { address: string; root: string; sshd: ProcessRecord }

/** What a Dokkaa installed on this machine (deploy/install.sh, or `dokkaacfg up
 * --provider=ssh` pointed at it) keeps there: everything deploy/ssh-host.sh writes,
 * starts from or removes. Globs are expanded by the host's shell. */
export const INSTALLED_PATHS = ['/etc/dokkaa', '/etc/systemd/system/dokkaa-*.service', '/opt/dokkaa', '/run/dokkaa', '/var/lib/dokkaa', '/var/log/dokkaa']

export interface SshHostOptions {
  /** Bound read-only at /opt/dokkaa (for --skip-install). */
  checkout?: string
  /** The host is pushed here as soon as its sshd is spawned, before it is waited for,
   * so a test's teardown stops an sshd that never came up too. */
  started?: SshHost[]
}

export async function startSshHost(lab: NetnsLab, index: number, dir: string, clientKey: string, opts: SshHostOptions = {}): Promise<SshHost> {
  const { checkout, started } = opts
  const h = lab.hosts().find(x => x.index === index)
  if (!h?.dockerd) throw new Error(`lab host ${index} has no dockerd`)
  const root = join(dir, `h${index}`)
  mkdirSync(root, { recursive: true })
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(root, 'host_key')])
  await run('cp', [`${clientKey}.pub`, join(root, 'authorized_keys')])
  const config = join(root, 'sshd_config')
  writeFileSync(config, [
    `ListenAddress ${h.address}`, 'Port 22', `HostKey ${join(root, 'host_key')}`,
    'PermitRootLogin prohibit-password', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no',
    `AuthorizedKeysFile ${join(root, 'authorized_keys')}`, 'UsePAM no', 'StrictModes no',
    `PidFile ${join(root, 'sshd.pid')}`, 'PrintMotd no', 'AcceptEnv none', '',
  ].join('\n'))
  const tops = ['etc', 'opt', 'var', 'run']
  const layers = tops.map(d => `mkdir -p ${root}/up/${d} ${root}/work/${d}`)
  // An overlay whiteout (a 0/0 character device in the upper layer) hides the machine's
  // entry; a mkdir through the overlay later makes an empty (opaque) directory there.
  // Made before mounting, and only for paths that exist below (checked before the mount).
  const whiteouts = [
    `for p in ${INSTALLED_PATHS.join(' ')}; do`,
    `  if [ -e "$p" ] || [ -L "$p" ]; then mkdir -p "$(dirname "${root}/up$p")" && mknod "${root}/up$p" c 0 0; fi`,
    'done',
  ]
  const mounts = tops.map(d =>
    `mount -t overlay overlay -o lowerdir=/${d},upperdir=${root}/up/${d},workdir=${root}/work/${d} /${d}`)
  // The engine's socket is bound to a path outside the overlays first: seen through an
  // overlay, a socket file no longer connects to its listener.
  const script = [
    'set -e',
    `touch ${root}/docker.sock && mount --bind ${h.dockerd.socketPath} ${root}/docker.sock`,
    ...layers,
    ...whiteouts,
    ...mounts,
    'mkdir -p /run/sshd',
    `touch /run/docker.sock && mount --bind ${root}/docker.sock /run/docker.sock`,
    ...(checkout ? [`mkdir -p /opt/dokkaa && mount --bind ${checkout} /opt/dokkaa && mount -o remount,bind,ro /opt/dokkaa`] : []),
    `exec /usr/sbin/sshd -D -e -f ${config}`,
  ].join('\n')
  const sshd = spawnDaemon(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script], config, join(root, 'sshd.log'), { netns: h.netns })
  const host: SshHost = { address: h.address, root, sshd }
  started?.push(host)
  const ok = await waitUntil(async () => (await run('nsenter', [`--net=/var/run/netns/${h.netns}`, 'ss', '-ltn', `sport = :22`])).stdout.includes(`${h.address}:22`), 20_000, 100)
  if (!ok) throw new Error(`sshd of host ${index} did not listen; see ${join(root, 'sshd.log')}`)
  return host
}

/** Runs a shell script as the host sees the machine: in its sshd's mount and network
 * namespaces (no ssh login needed, e.g. before the cluster's known_hosts exists). */
export function hostShell(s: SshHost, script: string) {
  return run('nsenter', ['-t', String(s.sshd.pid), '-m', '-n', 'sh', '-c', script], { allowFail: true })
}

export async function stopSshHost(s: SshHost): Promise<void> {
  await stopProcess(s.sshd, 5000)
}
