// Picks the provider named by --provider and hands it its flags.
import { LocalProvider } from './local-provider.js'
import { DigitalOceanProvider } from './do-provider.js'
import { SshProvider } from './ssh-provider.js'
import { UsageError } from './errors.js'
import type { Provider } from './provider.js'

export interface ProviderFlags {
  provider: string
  stateDir?: string
  runDir?: string
  name?: string
  subnet?: string
  etcdMembers?: string
  prefix?: string
  image?: string[]
  agents?: boolean
  leaseTtl?: string
  hosts?: string
  region?: string
  size?: string
  sshKey?: string[]
  namePrefix?: string
  apiUrl?: string
  sshPort?: string
  skipInstall?: boolean
  dnsUpstream?: string
}

export const PROVIDERS = ['local', 'ssh', 'digitalocean'] as const

export function intFlag(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined
  if (!/^\d+$/.test(v)) throw new UsageError(`${flag} must be a whole number, not "${v}"`)
  return Number(v)
}

export function makeProvider(f: ProviderFlags): Provider {
  switch (f.provider) {
    case 'local':
      return new LocalProvider({
        stateDir: f.stateDir,
        runDir: f.runDir,
        name: f.name,
        subnet: f.subnet,
        etcdMembers: intFlag(f.etcdMembers, '--etcd-members'),
        prefix: f.prefix,
        images: f.image,
        agents: f.agents,
        leaseTtl: intFlag(f.leaseTtl, '--lease-ttl'),
      })
    case 'digitalocean':
      return new DigitalOceanProvider({
        cluster: f.name,
        namePrefix: f.namePrefix,
        region: f.region,
        size: f.size,
        // --image is repeatable for the local provider; a droplet boots the last one given.
        image: f.image?.at(-1),
        sshKeys: f.sshKey,
        prefix: f.prefix,
        leaseTtl: intFlag(f.leaseTtl, '--lease-ttl'),
        stateDir: f.stateDir,
        apiUrl: f.apiUrl,
      })
    case 'ssh':
      return new SshProvider({
        stateDir: f.stateDir,
        cluster: f.name,
        hosts: f.hosts,
        identity: f.sshKey?.at(-1),
        port: intFlag(f.sshPort, '--ssh-port'),
        etcdMembers: intFlag(f.etcdMembers, '--etcd-members'),
        prefix: f.prefix,
        leaseTtl: intFlag(f.leaseTtl, '--lease-ttl'),
        // Undefined when not given: a later `up` keeps what the first one chose.
        install: f.skipInstall ? false : undefined,
        dnsUpstream: f.dnsUpstream,
      })
    default:
      throw new UsageError(`unknown provider "${f.provider}"`, `use one of: ${PROVIDERS.join(', ')}`)
  }
}
