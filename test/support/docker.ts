// The bed's Docker engine, and the label-based bookkeeping tests need around it:
// each test labels (or has the code under test label) its containers, finds them
// by label and removes them by label at the end.
import Docker from 'dockerode'

/** DOCKER_HOST if set (unix://, tcp://), else /var/run/docker.sock. */
export function dockerOptions(): Docker.DockerOptions {
  const host = process.env.DOCKER_HOST
  if (host === undefined || host === '') return { socketPath: '/var/run/docker.sock' }
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) || '/var/run/docker.sock' }
  // tcp:// and the rest: docker-modem reads DOCKER_HOST itself.
  return {}
}

let shared: Docker | undefined

/** One client per test process; dockerode keeps no connection open between calls. */
export function testDocker(): Docker {
  shared ??= new Docker(dockerOptions())
  return shared
}

function labelFilter(label: string, value?: string): string {
  return value === undefined ? label : `${label}=${value}`
}

/** All containers (running or not) with `label`, or with `label=value` when a value is given. */
export async function listByLabel(
  label: string,
  value?: string,
  docker: Docker = testDocker(),
): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [labelFilter(label, value)] } })
}

function statusOf(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode
  return typeof code === 'number' ? code : undefined
}

/**
 * Force-removes (with anonymous volumes) every container with `label[=value]` and
 * returns how many it removed. A container that vanishes meanwhile (404) or is
 * already being removed (409) is not an error: something else cleaned up first.
 */
export async function removeContainersByLabel(
  label: string,
  value?: string,
  docker: Docker = testDocker(),
): Promise<number> {
  const found = await listByLabel(label, value, docker)
  let removed = 0
  await Promise.all(
    found.map(async c => {
      try {
        await docker.getContainer(c.Id).remove({ force: true, v: true })
        removed++
      } catch (err) {
        const status = statusOf(err)
        if (status !== 404 && status !== 409) throw err
      }
    }),
  )
  return removed
}

/**
 * The container's IP address on its first network with one (the default bridge for
 * plain containers). The host can reach it directly. Throws if it has none (not
 * running, or network "none").
 */
export async function containerAddress(id: string, docker: Docker = testDocker()): Promise<string> {
  const info = await docker.getContainer(id).inspect()
  for (const net of Object.values(info.NetworkSettings.Networks ?? {})) {
    if (net.IPAddress) return net.IPAddress
  }
  throw new Error(`container ${id} has no IP address (state ${info.State.Status})`)
}

/**
 * Everything a container wrote so far, stdout and stderr together, as text.
 * Non-TTY logs come multiplexed in 8-byte-header frames (what dockerode's
 * demuxStream undoes for streams); this undoes it for the buffered form.
 */
export async function containerLogs(id: string, docker: Docker = testDocker()): Promise<string> {
  const container = docker.getContainer(id)
  const [info, raw] = await Promise.all([
    container.inspect(),
    container.logs({ stdout: true, stderr: true, follow: false }),
  ])
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw))
  if (info.Config.Tty) return buf.toString('utf8')
  const parts: Buffer[] = []
  for (let at = 0; at + 8 <= buf.length; ) {
    const size = buf.readUInt32BE(at + 4)
    parts.push(buf.subarray(at + 8, at + 8 + size))
    at += 8 + size
  }
  return Buffer.concat(parts).toString('utf8')
}
