// A new container in the Docker API's words: the body of POST /containers/create made from
// the ContainerCreate container-options.ts decides. Part of the engine driver (the one
// place that speaks Docker's types); the request itself is dockerode-engine.ts's.
import type Docker from 'dockerode'
import type { ContainerCreate, ContainerMount } from './docker-engine.js'

/** The object without its undefined entries: an option left out keeps Docker's default. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T
}

/** Dokkaa's new container in the Docker API's words (the body of POST /containers/create). */
export function dockerCreateOptions(c: ContainerCreate): Docker.ContainerCreateOptions {
  const hc = c.healthcheck
  return defined<Docker.ContainerCreateOptions>({
    name: c.name,
    Image: c.image,
    Env: c.env,
    Labels: c.labels,
    ExposedPorts: Object.fromEntries(c.exposedPorts.map(key => [key, {}])),
    HostConfig: defined<Docker.HostConfig>({
      RestartPolicy: { Name: 'no' },
      NetworkMode: c.networkMode,
      PortBindings: Object.fromEntries(Object.entries(c.portBindings).map(([key, binds]) =>
        [key, binds.map(b => ({ HostIp: b.hostIp, HostPort: b.hostPort }))])),
      Memory: c.memoryBytes,
      NanoCpus: c.nanoCpus,
      Dns: c.dns,
      DnsSearch: c.dnsSearch,
      ExtraHosts: c.extraHosts,
      ShmSize: c.shmSizeBytes,
      ReadonlyRootfs: c.readonlyRootfs,
      CapDrop: c.capDrop,
      Tmpfs: c.tmpfs,
      Ulimits: c.ulimits?.map(u => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
      Init: c.init,
      Mounts: c.mounts?.map(dockerMount),
    }),
    Cmd: c.cmd,
    Hostname: c.hostname,
    User: c.user,
    WorkingDir: c.workingDir,
    Entrypoint: c.entrypoint,
    Tty: c.tty,
    OpenStdin: c.openStdin,
    StopSignal: c.stopSignal,
    StopTimeout: c.stopTimeout,
    Domainname: c.domainname,
    Healthcheck: hc && defined<Docker.HealthConfig>({ Test: hc.test, Interval: hc.intervalNs, Timeout: hc.timeoutNs, Retries: hc.retries, StartPeriod: hc.startPeriodNs }),
  })
}

/** A named volume's labels go with it into VolumeOptions: Docker labels the volume when this
 * create makes it (first use) and leaves an existing one as it is. The typings want every
 * VolumeOptions field; left out, Docker uses the local driver and copies the image's files at
 * the path into a fresh volume (NoCopy false), as `docker run -v` does. */
function dockerMount(m: ContainerMount): Docker.MountSettings {
  const base = { Type: m.type, Source: m.source, Target: m.target, ReadOnly: m.readOnly }
  return m.type === 'volume' ? { ...base, VolumeOptions: { Labels: m.labels } as NonNullable<Docker.MountSettings['VolumeOptions']> } : base
}
