// up, down, status: provisioning commands, the same for every provider (certs rotate, in
// cmd-certs-init.ts, takes the same provider flags).
import type { Command } from 'commander'
import { makeProvider, intFlag, type ProviderFlags } from './providers.js'
import { consoleProgress, silentProgress } from './progress.js'
import { connectionLines } from './provider.js'
import { makeOutput, table } from './output.js'
import { UsageError } from './errors.js'
import { DEFAULT_STATE_DIR } from './state-file.js'

interface Globals { json?: boolean }

export function providerOptions(cmd: Command): Command {
  return cmd
    .option('--provider <name>', 'where hosts come from: local, ssh, digitalocean', 'local')
    .option('--state-dir <dir>', 'where what was made is recorded', DEFAULT_STATE_DIR)
    .option('--name <name>', 'cluster name; prefixes bridges, namespaces and droplets', 'dokkaa')
    .option('--run-dir <dir>', 'local: where the hosts\' sockets and exec roots go (default /run/dokkaa-cfg/<name>)')
    .option('--hosts <user@host,...>', 'ssh: the machines, in order (the first runs etcd and the builder)')
    .option('--ssh-key <file|id>', 'ssh: private key file; digitalocean: key id or fingerprint (repeatable)', collect)
    .option('--ssh-port <port>', 'ssh: port of every host', '22')
    .option('--api-url <url>', 'digitalocean: API base URL (tests only; also DOKKAA_DO_API_URL)')
}

const collect = (v: string, prev: string[] = []) => [...prev, v]

export function registerProvisioning(program: Command): void {

  providerOptions(program.command('up'))
    .description('create or resize a cluster (idempotent: run it again to add or remove hosts)')
    .requiredOption('--scale <n>', 'number of hosts')
    .option('--subnet <cidr>', 'local: the lab bridge subnet', '10.213.0.0/24')
    .option('--etcd-members <n>', 'local, ssh: etcd members (ssh: on the first N hosts)', '1')
    .option('--prefix <prefix>', 'etcd key prefix of the cluster', '')
    .option('--image <ref>', 'local: copy this image from the machine\'s Docker into every host (repeatable); digitalocean: droplet image (debian-12-x64)', collect)
    .option('--region <slug>', 'digitalocean: region, e.g. ams3')
    .option('--size <slug>', 'digitalocean: droplet size, e.g. s-2vcpu-4gb')
    .option('--name-prefix <prefix>', 'digitalocean: droplet names are <prefix>-h<N> (default: --name)')
    .option('--dns-upstream <ip|none|auto>', 'ssh: DNS server the ambassadors forward other names to (auto: the host\'s resolv.conf)', 'auto')
    .option('--skip-install', 'ssh: skip packages, copy, npm ci and build (a built checkout is already in /opt/dokkaa)')
    .option('--no-agents', 'local: only hosts, etcd and registry; no conductor, ambassador or builder')
    .option('--lease-ttl <seconds>', 'conductor lease TTL: how fast a dead host is noticed', '5')
    .addHelpText('after', `
Examples:
  sudo dokkaacfg up --scale=3                  three namespace hosts on this machine
  sudo dokkaacfg up --scale=5                  then add two more
  sudo dokkaacfg up --scale=2                  drain and remove hosts 5, 4 and 3
  sudo dokkaacfg up --scale=3 --image dokkaa/busybox:test --json
  dokkaacfg up --provider=ssh --hosts root@10.0.0.5,root@10.0.0.6 --ssh-key ~/.ssh/id_ed25519 --scale=2
  DIGITALOCEAN_ACCESS_TOKEN=dop_v1_… dokkaacfg up --provider=digitalocean --region ams3 --size s-2vcpu-4gb --ssh-key 12345 --scale=3`)
    .action(async (o: ProviderFlags & { scale: string }, cmd: Command) => {
      const g = cmd.optsWithGlobals<Globals>()
      const scale = intFlag(o.scale, '--scale')
      if (scale === undefined) throw new UsageError('--scale is required')
      const r = await makeProvider(o).up(scale, consoleProgress())
      makeOutput(!!g.json).result(r, () => [
        ...(r.added.length ? [`added: ${r.added.join(', ')}`] : []),
        ...(r.removed.length ? [`removed: ${r.removed.join(', ')}`] : []),
        ...connectionLines(r),
      ])
    })

  providerOptions(program.command('down'))
    .description('remove everything `up` made for this cluster, and nothing else')
    .addHelpText('after', `
Examples:
  sudo dokkaacfg down
  sudo dokkaacfg down --name demo --state-dir /tmp/demo-state`)
    .action(async (o: ProviderFlags, cmd: Command) => {
      const g = cmd.optsWithGlobals<Globals>()
      const r = await makeProvider(o).down(g.json ? silentProgress : consoleProgress())
      makeOutput(!!g.json).result(r, () => [r.removed.length ? `removed: ${r.removed.join(', ')}` : 'nothing to remove'])
    })

  providerOptions(program.command('status'))
    .description('what the provider made and whether it runs')
    .addHelpText('after', `
Examples:
  dokkaacfg status
  dokkaacfg status --json | jq '.hosts[].components'`)
    .action(async (o: ProviderFlags, cmd: Command) => {
      const g = cmd.optsWithGlobals<Globals>()
      const s = await makeProvider(o).status()
      makeOutput(!!g.json).result(s, () => {
        if (!s.exists) return [`no ${s.provider} cluster recorded`]
        const comps = [...new Set(s.hosts.flatMap(h => Object.keys(h.components)))]
        return [
          ...table(['HOST', 'ADDRESS', ...comps.map(c => c.toUpperCase())], s.hosts.map(h => [h.id, h.address, ...comps.map(c => h.components[c] ?? '-')])),
          '',
          ...table(['SERVICE', 'ADDRESS', 'STATE'], Object.entries(s.services).map(([k, v]) => [k, v.address, v.state])),
        ]
      })
    })
}
