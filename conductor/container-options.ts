// The container of one instance (docker-engine.ts ContainerCreate), as a pure function of
// its spec, its reference and this host. Everything a container looks like is decided here.
import type { ContainerSpec, InstanceRef } from '../schemas/index.js'
import { LABELS, resolveHealthCheck, stopGraceMs } from '../schemas/index.js'
import type { ContainerCreate, ContainerMount, PortBinding } from './docker-engine.js'
import { dockerHealthcheck } from './health/docker-healthcheck.js'
import { volumeMounts } from './volume-mounts.js'

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

/** The name of a container started beside the instance's old one (start-first), until it
 * takes `name` (the canonical one) over. Names never hold "--" otherwise, so it cannot be
 * another instance's; the spec hash keeps two successive new specs apart. */
export function besideName(name: string, specHash: string): string {
  return `${name}--next-${specHash.slice(0, 12)}`
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

/** `valueMounts`: the bind mounts of the instance's secret and config files (value-files.ts). */
export function createOptions(
  spec: ContainerSpec, specHash: string, ref: InstanceRef, host: HostContext, name: string, valueMounts: ContainerMount[] = [],
): ContainerCreate {
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

  const exposedPorts = new Set<string>()
  const portBindings: Record<string, PortBinding[]> = {}
  for (const svc of Object.values(spec.services)) {
    const key = portKey(svc.port, svc.protocol)
    exposedPorts.add(key)
    // HostPort '' lets Docker pick a free port; we read it back from inspect.
    if (networked) portBindings[key] = [{ hostIp: host.hostAddress, hostPort: '' }]
  }

  const c: ContainerCreate = {
    name,
    image: spec.image,
    env,
    labels: instanceLabels(spec, specHash, ref, host.hostId),
    exposedPorts: [...exposedPorts],
    portBindings,
    networkMode,
  }
  if (spec.resources?.memory) c.memoryBytes = memoryBytes(spec.resources.memory)
  if (spec.resources?.cpus) c.nanoCpus = Math.round(spec.resources.cpus * 1e9)
  if (networked) {
    const dns = spec.dns ?? (host.ambassadorAddress ? [host.ambassadorAddress] : undefined)
    if (dns) c.dns = dns
    if (host.ambassadorAddress) c.dnsSearch = [`${ref.app}.${host.domain}`, host.domain]
  }
  if (spec.extraHosts) c.extraHosts = spec.extraHosts
  if (spec.command !== undefined) c.cmd = typeof spec.command === 'string' ? ['sh', '-c', spec.command] : spec.command
  if (spec.hostname) c.hostname = spec.hostname
  // The manifest's allow-listed dockerflags, one to one.
  if (flags.User !== undefined) c.user = flags.User
  if (flags.WorkingDir !== undefined) c.workingDir = flags.WorkingDir
  if (flags.Entrypoint !== undefined) c.entrypoint = flags.Entrypoint
  if (flags.Tty !== undefined) c.tty = flags.Tty
  if (flags.OpenStdin !== undefined) c.openStdin = flags.OpenStdin
  // The graceful stop's signal and grace period live in the container too, so that a stop of
  // a container whose spec is no longer known (and a `docker stop` by hand) honours them.
  // Left out, Docker's default grace period is stopGraceMs's default (10 s).
  const stopSignal = spec.stopSignal ?? flags.StopSignal
  if (stopSignal !== undefined) c.stopSignal = stopSignal
  if (spec.stopGracePeriod !== undefined || flags.StopTimeout !== undefined) c.stopTimeout = Math.ceil(stopGraceMs(spec) / 1000)
  if (flags.Domainname !== undefined) c.domainname = flags.Domainname
  if (flags.ShmSize !== undefined) c.shmSizeBytes = flags.ShmSize
  if (flags.ReadonlyRootfs !== undefined) c.readonlyRootfs = flags.ReadonlyRootfs
  if (flags.CapDrop) c.capDrop = flags.CapDrop
  if (flags.Tmpfs) c.tmpfs = flags.Tmpfs
  if (flags.Ulimits) c.ulimits = flags.Ulimits.map(u => ({ name: u.Name, soft: u.Soft, hard: u.Hard }))
  if (flags.Init !== undefined) c.init = flags.Init
  const healthcheck = dockerHealthcheck(resolveHealthCheck(spec))
  if (healthcheck) c.healthcheck = healthcheck
  const mounts = [...volumeMounts(spec, ref, host.hostId), ...valueMounts]
  if (mounts.length > 0) c.mounts = mounts
  return c
}
