// Docker create options for one instance, as a pure function of its spec, its
// reference and this host. Everything a container looks like is decided here.
import type Docker from 'dockerode'
import type { ContainerSpec, InstanceRef } from '../schemas/index.js'
import { LABELS } from '../schemas/index.js'

export interface HostContext {
  hostId: string
  /** Address published ports bind to, and what SkyDNS records point at. */
  hostAddress: string
  /** The ambassador as seen from containers; undefined when DNS injection is off. */
  ambassadorAddress?: string
  domain: string
  /** Docker network containers join unless the manifest asks for none or host. */
  network: string
  /** Link as written in the manifest ("nginx", "nginx.other") -> stable proxy port. */
  linkPorts: Record<string, number>
}

/** The env var stem of a link: "nginx" -> NGINX, "my-db.other" -> MY_DB_OTHER. */
export function linkEnvName(link: string): string {
  return link.toUpperCase().replace(/[-.]/g, '_')
}

/** The app and service a link names: "nginx" is in the linking app, "nginx.other" in app "other". */
export function linkTarget(app: string, link: string): { app: string; service: string } {
  const dot = link.indexOf('.')
  return dot < 0 ? { app, service: link } : { app: link.slice(dot + 1), service: link.slice(0, dot) }
}

/** Bytes of a Docker size: "512m", "1.5g", "1048576". */
export function memoryBytes(size: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)([bkmg]?)$/i.exec(size)
  if (!m) throw new Error(`not a memory size: ${size}`)
  const unit = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'b' | 'k' | 'm' | 'g']
  return Math.round(Number(m[1]) * unit)
}

/** When another host's conductor on a shared engine holds the plain name. */
export function fallbackName(name: string, hostId: string): string {
  return `${name}.${hostId.replace(/[^a-zA-Z0-9_.-]/g, '_')}`
}

export function portKey(port: number, protocol: 'tcp' | 'udp' = 'tcp'): string {
  return `${port}/${protocol}`
}

export function instanceLabels(spec: ContainerSpec, specHash: string, ref: InstanceRef, hostId: string): Record<string, string> {
  return {
    ...spec.labels,
    [LABELS.app]: ref.app,
    [LABELS.name]: ref.name,
    [LABELS.instance]: String(ref.index),
    [LABELS.host]: hostId,
    [LABELS.spec]: specHash,
  }
}

export function createOptions(spec: ContainerSpec, specHash: string, ref: InstanceRef, host: HostContext, name: string): Docker.ContainerCreateOptions {
  const flags = spec.dockerflags ?? {}
  // A manifest's "bridge" means this host's container network; none and host are literal.
  const networkMode = flags.NetworkMode === 'none' || flags.NetworkMode === 'host' ? flags.NetworkMode : host.network
  const networked = networkMode !== 'none' && networkMode !== 'host'
  const env = Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${String(v)}`)
  for (const link of spec.links ?? []) {
    const port = host.linkPorts[link]
    const stem = linkEnvName(link)
    // Without an ambassador address the host's own address is the next best place to reach one.
    env.push(`SERVICE_${stem}_ADDR=${host.ambassadorAddress ?? host.hostAddress}`)
    if (port !== undefined) env.push(`SERVICE_${stem}_PORT=${port}`)
  }

  const exposed: Record<string, object> = {}
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {}
  for (const svc of Object.values(spec.services)) {
    const key = portKey(svc.port, svc.protocol)
    exposed[key] = {}
    // HostPort '' lets Docker pick a free port; we read it back from inspect.
    if (networked) bindings[key] = [{ HostIp: host.hostAddress, HostPort: '' }]
  }

  const hostConfig: Docker.HostConfig = {
    // We restart containers ourselves, so that every death is seen and counted.
    RestartPolicy: { Name: 'no' },
    NetworkMode: networkMode,
    PortBindings: bindings,
  }
  if (spec.resources?.memory) hostConfig.Memory = memoryBytes(spec.resources.memory)
  if (spec.resources?.cpus) hostConfig.NanoCpus = Math.round(spec.resources.cpus * 1e9)
  if (networked) {
    const dns = spec.dns ?? (host.ambassadorAddress ? [host.ambassadorAddress] : undefined)
    if (dns) hostConfig.Dns = dns
    if (host.ambassadorAddress) hostConfig.DnsSearch = [`${ref.app}.${host.domain}`, host.domain]
  }
  if (spec.extraHosts) hostConfig.ExtraHosts = spec.extraHosts
  if (flags.ShmSize !== undefined) hostConfig.ShmSize = flags.ShmSize
  if (flags.ReadonlyRootfs !== undefined) hostConfig.ReadonlyRootfs = flags.ReadonlyRootfs
  if (flags.CapDrop) hostConfig.CapDrop = flags.CapDrop
  if (flags.Tmpfs) hostConfig.Tmpfs = flags.Tmpfs
  if (flags.Ulimits) hostConfig.Ulimits = flags.Ulimits
  if (flags.Init !== undefined) hostConfig.Init = flags.Init

  const opts: Docker.ContainerCreateOptions = {
    name,
    Image: spec.image,
    Env: env,
    Labels: instanceLabels(spec, specHash, ref, host.hostId),
    ExposedPorts: exposed,
    HostConfig: hostConfig,
  }
  if (spec.command !== undefined) opts.Cmd = typeof spec.command === 'string' ? ['sh', '-c', spec.command] : spec.command
  if (spec.hostname) opts.Hostname = spec.hostname
  if (flags.User !== undefined) opts.User = flags.User
  if (flags.WorkingDir !== undefined) opts.WorkingDir = flags.WorkingDir
  if (flags.Entrypoint !== undefined) opts.Entrypoint = flags.Entrypoint
  if (flags.Tty !== undefined) opts.Tty = flags.Tty
  if (flags.OpenStdin !== undefined) opts.OpenStdin = flags.OpenStdin
  if (flags.StopSignal !== undefined) opts.StopSignal = flags.StopSignal
  if (flags.StopTimeout !== undefined) opts.StopTimeout = flags.StopTimeout
  if (flags.Domainname !== undefined) opts.Domainname = flags.Domainname
  return opts
}
