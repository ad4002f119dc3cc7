// What the local provider needs from the machine, checked before anything is made,
// with the fix in the message.
import { run } from './run-command.js'
import { PreconditionError } from './errors.js'

const PACKAGES: Record<string, string> = {
  ip: 'iproute2', iptables: 'iptables', nsenter: 'util-linux', dockerd: 'docker.io',
  etcd: 'etcd-server', 'docker-registry': 'docker-registry', 'iptables-save': 'iptables',
}

export function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) throw new PreconditionError(`${what} needs root (it creates network namespaces, a bridge and firewall rules)`, 'run it with sudo')
}

export async function requireCommands(cmds: string[]): Promise<void> {
  const missing: string[] = []
  for (const c of cmds) {
    if ((await run('sh', ['-c', `command -v ${c}`], { allowFail: true })).status !== 0) missing.push(c)
  }
  if (missing.length) {
    const pkgs = [...new Set(missing.map(m => PACKAGES[m] ?? m))]
    throw new PreconditionError(`missing commands: ${missing.join(', ')}`, `apt-get install ${pkgs.join(' ')}`)
  }
}
