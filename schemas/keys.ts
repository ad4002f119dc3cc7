// The etcd key layout, in one place. Every key sits under a configurable prefix so
// several clusters (or test runs) can share one etcd; the default "" keeps the
// seed's literal path: /apps/dummy/nginx/manifest.

import { isDnsLabel, isHostId, isName } from './names.js'

export interface AppRef { app: string; name: string }
export interface InstanceRef extends AppRef { index: number }

export const DEFAULT_DOMAIN = 'dokkaa.local'

export class KeyLayout {
  constructor(readonly prefix = '', readonly domain = DEFAULT_DOMAIN) {
    if (prefix.endsWith('/')) throw new Error(`key prefix must not end with "/": ${prefix}`)
  }

  // --- what users write
  get apps(): string { return `${this.prefix}/apps/` }
  app(app: string): string { return `${this.apps}${app}/` }
  manifest(r: AppRef): string { return `${this.apps}${r.app}/${r.name}/manifest` }
  status(r: AppRef): string { return `${this.apps}${r.app}/${r.name}/status` }
  /** Lifecycle intent for a manifest (stop, pause, restart…), written by builder/dokkaacfg. */
  control(r: AppRef): string { return `${this.apps}${r.app}/${r.name}/control` }

  // --- hosts, under each conductor's lease
  get hosts(): string { return `${this.prefix}/hosts/` }
  host(id: string): string { return `${this.hosts}${id}` }

  // --- the scheduler's decisions
  get assignRoot(): string { return `${this.prefix}/assign/` }
  assignments(host: string): string { return `${this.assignRoot}${host}/` }
  assignment(host: string, r: InstanceRef): string { return `${this.assignments(host)}${r.app}/${r.name}/${r.index}` }

  // --- what runs, under the owning host's lease
  get instances(): string { return `${this.prefix}/instances/` }
  instancesOf(r: AppRef): string { return `${this.instances}${r.app}/${r.name}/` }
  instance(r: InstanceRef): string { return `${this.instancesOf(r)}${r.index}` }

  // --- an app's secrets (sealed) and configs, written by the builder
  get secretsRoot(): string { return `${this.prefix}/secrets/` }
  secretsOf(app: string): string { return `${this.secretsRoot}${app}/` }
  secret(app: string, name: string): string { return `${this.secretsOf(app)}${name}` }
  get configsRoot(): string { return `${this.prefix}/configs/` }
  configsOf(app: string): string { return `${this.configsRoot}${app}/` }
  config(app: string, name: string): string { return `${this.configsOf(app)}${name}` }
  /** app and name of a /secrets/ or /configs/ key. */
  parseSecretOrConfig(key: string): { kind: 'secret' | 'config'; app: string; name: string } | undefined {
    const kind = key.startsWith(this.secretsRoot) ? 'secret' : key.startsWith(this.configsRoot) ? 'config' : undefined
    if (!kind) return undefined
    const m = key.slice((kind === 'secret' ? this.secretsRoot : this.configsRoot).length).match(/^([^/]+)\/([^/]+)$/)
    return m && isName(m[1]) && isDnsLabel(m[2]) ? { kind, app: m[1]!, name: m[2]! } : undefined
  }

  // --- private registries' credentials (password sealed), written by the builder (admins)
  get registriesRoot(): string { return `${this.prefix}/registries/` }
  registry(host: string): string { return `${this.registriesRoot}${host}` }

  // --- where instances' named volumes live, written by the scheduler at placement
  get volumesRoot(): string { return `${this.prefix}/volumes/` }
  volumesOf(r: AppRef): string { return `${this.volumesRoot}${r.app}/${r.name}/` }
  volumeHome(r: InstanceRef): string { return `${this.volumesOf(r)}${r.index}` }

  /** SkyDNS layout (CoreDNS's etcd plugin reads it): the domain reversed into path segments. */
  get skydnsRoot(): string { return `${this.prefix}/skydns/${this.domain.split('.').reverse().join('/')}/` }
  skydns(app: string, service: string, leaf: string): string { return `${this.skydnsRoot}${app}/${service}/${leaf}` }

  // --- stable proxy ports, allocated once per service cluster-wide
  get portsRoot(): string { return `${this.prefix}/ports/` }
  port(app: string, service: string): string { return `${this.portsRoot}${app}/${service}` }
  /** Who holds a proxy port ("app/service"), so no port is handed out twice. */
  portOwner(port: number): string { return `${this.portOwnersRoot}${port}` }
  get portOwnersRoot(): string { return `${this.prefix}/ports-owner/` }

  // --- lifecycle requests carried to the owning conductor, and its answers
  get commandsRoot(): string { return `${this.prefix}/commands/` }
  commands(host: string): string { return `${this.commandsRoot}${host}/` }

  // --- builder's users and tokens; cluster configuration
  get users(): string { return `${this.prefix}/users/` }
  get tokens(): string { return `${this.prefix}/tokens/` }
  get policy(): string { return `${this.prefix}/config/policy` }
  /** Which user owns an app (the builder's multi-user model); value: OwnerRecord. */
  get owners(): string { return `${this.prefix}/owners/` }
  owner(app: string): string { return `${this.owners}${app}` }
  /** Shared secret the conductors' agent APIs accept from the builder; value: AgentTokenRecord. */
  get agentToken(): string { return `${this.prefix}/config/agent-token` }

  // --- HTTPS for web services (schemas/acme.ts): the operator's ACME settings; certificates
  // (sealed), HTTP-01 challenges, renewal requests and status, written by the builder
  /** The cluster's ACME settings; value: AcmeConfig. */
  get acmeConfig(): string { return `${this.prefix}/config/acme` }
  get tlsRoot(): string { return `${this.prefix}/tls/` }
  get tlsCertsRoot(): string { return `${this.tlsRoot}certs/` }
  tlsCert(hostname: string): string { return `${this.tlsCertsRoot}${hostname}` }
  get tlsChallengesRoot(): string { return `${this.tlsRoot}challenges/` }
  tlsChallenge(token: string): string { return `${this.tlsChallengesRoot}${token}` }
  get tlsRenewRoot(): string { return `${this.tlsRoot}renew/` }
  tlsRenew(hostname: string): string { return `${this.tlsRenewRoot}${hostname}` }
  /** The builder's ACME account (its key sealed). Not under certs/ or challenges/: ambassadors may not read it. */
  get tlsAccount(): string { return `${this.tlsRoot}account` }
  get tlsStatus(): string { return `${this.tlsRoot}status` }

  /** The election every conductor campaigns in; the winner schedules. */
  get schedulerElection(): string { return `${this.prefix}/election/scheduler` }

  // --- parsing keys back into references. Each returns undefined for a key that is not
  // of that kind OR whose app, name, service or host breaks the naming rules (names.ts):
  // a key written straight into etcd with "VICTIM" or ".." never becomes a reference,
  // so nothing downstream (scheduler, conductor, ambassador, builder) can act on it.
  parseManifest(key: string): AppRef | undefined {
    return validRef(this.parseManifestKey(key))
  }
  /**
   * The two segments of any key shaped like a manifest key, valid names or not — for the
   * scheduler to report an invalid name instead of silently ignoring it.
   */
  parseManifestKey(key: string): AppRef | undefined {
    const m = this.after(key, this.apps)?.match(/^([^/]+)\/([^/]+)\/manifest$/)
    return m ? { app: m[1]!, name: m[2]! } : undefined
  }
  parseControl(key: string): AppRef | undefined {
    const m = this.after(key, this.apps)?.match(/^([^/]+)\/([^/]+)\/control$/)
    return validRef(m ? { app: m[1]!, name: m[2]! } : undefined)
  }
  parseHost(key: string): string | undefined {
    const rest = this.after(key, this.hosts)
    return isHostId(rest) ? rest : undefined
  }
  parseAssignment(key: string): (InstanceRef & { host: string }) | undefined {
    const m = this.after(key, this.assignRoot)?.match(/^([^/]+)\/([^/]+)\/([^/]+)\/(\d{1,6})$/)
    const r = m ? { host: m[1]!, app: m[2]!, name: m[3]!, index: Number(m[4]) } : undefined
    return r && isHostId(r.host) ? validRef(r) : undefined
  }
  parseInstance(key: string): InstanceRef | undefined {
    const m = this.after(key, this.instances)?.match(/^([^/]+)\/([^/]+)\/(\d{1,6})$/)
    return validRef(m ? { app: m[1]!, name: m[2]!, index: Number(m[3]) } : undefined)
  }
  parseVolumeHome(key: string): InstanceRef | undefined {
    const m = this.after(key, this.volumesRoot)?.match(/^([^/]+)\/([^/]+)\/(\d{1,6})$/)
    return validRef(m ? { app: m[1]!, name: m[2]!, index: Number(m[3]) } : undefined)
  }
  parseSkydns(key: string): { app: string; service: string; leaf: string } | undefined {
    const m = this.after(key, this.skydnsRoot)?.match(/^([^/]+)\/([^/]+)\/([^/]+)$/)
    if (!m || !isName(m[1]) || !isDnsLabel(m[2]) || !/^[a-z0-9-]{1,80}$/.test(m[3]!)) return undefined
    return { app: m[1]!, service: m[2]!, leaf: m[3]! }
  }
  parsePort(key: string): { app: string; service: string } | undefined {
    const m = this.after(key, this.portsRoot)?.match(/^([^/]+)\/([^/]+)$/)
    return m && isName(m[1]) && isDnsLabel(m[2]) ? { app: m[1]!, service: m[2]! } : undefined
  }
  /** The host name of a /tls/certs/ or /tls/renew/ key (undefined: another key, or not a host name). */
  parseTlsName(key: string, root: string): string | undefined {
    const rest = this.after(key, root)
    return rest !== undefined && rest.length <= 253 && rest.includes('.') && rest.split('.').every(l => isDnsLabel(l)) ? rest : undefined
  }

  /** The port an owner key holds (whatever its value says: a held port is never handed out again). */
  parsePortOwner(key: string): number | undefined {
    const m = this.after(key, this.portOwnersRoot)?.match(/^(\d{1,5})$/)
    const port = m ? Number(m[1]) : 0
    return port >= 1 && port <= 65535 ? port : undefined
  }

  private after(key: string, root: string): string | undefined {
    return key.startsWith(root) ? key.slice(root.length) : undefined
  }
}

/** The SkyDNS leaf of one instance: unique per manifest and index, so two manifests may serve one service. */
export function skydnsLeaf(r: InstanceRef): string {
  return `${r.name}-${r.index}`
}

function validRef<T extends AppRef>(r: T | undefined): T | undefined {
  return r && isName(r.app) && isName(r.name) ? r : undefined
}

/** "app/name": the one in-memory key of a manifest (work queues, caches, maps). */
export function manifestKey(r: AppRef): string {
  return `${r.app}/${r.name}`
}

/** "app/name/index": the one in-memory key of an instance. */
export function refKey(r: InstanceRef): string {
  return `${r.app}/${r.name}/${r.index}`
}
