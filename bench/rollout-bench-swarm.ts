// Docker Swarm mode's side of the rollout benchmark, on the lab's namespace host (its own
// dockerd, so the machine's main engine never joins or leaves a swarm): a single-node
// swarm, `docker service create --replicas 3` of the same image with the same health check
// as a HEALTHCHECK (wget of /healthz inside the container, same interval, timeout and
// retries), start-first updates one at a time, then `docker service update --env-add
// VERSION=v2`.
//
// Where the clients are: Swarm's published ports (the routing mesh) and its virtual IPs
// are IPVS, and this machine's kernel has no IPVS (no /proc/sys/net/ipv4/vs; tasks with a
// published port hang in "Preparing" and the port never answers). So the service uses
// Swarm's other endpoint mode, DNS round robin (--endpoint-mode dnsrr), on an attachable
// overlay network, and the clients run inside a container on that network (nsenter into
// its network namespace), resolving the service name through Docker's embedded DNS (an
// answer kept for 1 s) and picking one of the tasks at random for each new connection:
// Swarm's own service discovery, followed closely.
import type Docker from 'dockerode'
import type { NetnsLab } from '../cfg-cli/netns-lab.js'
import { run } from '../cfg-cli/run-command.js'
import { ROLLOUT_IMAGE } from '../test/support/images.js'
import type { Load, StreamSpec } from '../test/deploys/load.js'
import { HEALTH } from '../test/deploys/web-app.js'
import { MONITOR_S, RATE, REPLICAS, type Side } from './rollout-bench-sample.js'
import { startRemoteLoad } from './rollout-bench-remote-load.js'

const NETWORK = 'zdnet'
const CLIENT = 'zd-clients'
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

export class SwarmSide implements Side {
  readonly side = 'Swarm mode' as const
  private constructor(private readonly lab: NetnsLab, private readonly index: number, private readonly clientNetns: string) {}

  /** Makes host `index` of the lab a one-node swarm with the overlay network and the clients' container
   * (the lab is destroyed afterwards, swarm and all). */
  static async start(lab: NetnsLab, index: number): Promise<SwarmSide> {
    const docker = (args: string[]) => run('docker', ['-H', lab.host(index).dockerd.host, ...args], { env: { ...process.env, DOCKER_API_VERSION: '1.41' } })
    const address = lab.host(index).address
    await docker(['swarm', 'init', '--advertise-addr', address, '--listen-addr', `${address}:2377`])
    await docker(['network', 'create', '--driver', 'overlay', '--attachable', NETWORK])
    await docker(['run', '--detach', '--name', CLIENT, '--network', NETWORK, '--entrypoint', 'sleep', ROLLOUT_IMAGE, '1000000'])
    const pid = (await docker(['inspect', '--format', '{{.State.Pid}}', CLIENT])).stdout.trim()
    return new SwarmSide(lab, index, `/proc/${pid}/ns/net`)
  }

  private docker(args: string[]) {
    return run('docker', ['-H', this.lab.host(this.index).dockerd.host, ...args], { env: { ...process.env, DOCKER_API_VERSION: '1.41' } })
  }

  private name(round: number): string { return `zd${round}` }

  engine(round: number): { docker: Docker; label: string } {
    return { docker: this.lab.docker(this.index), label: `com.docker.swarm.service.name=${this.name(round)}` }
  }

  startLoad(streams: StreamSpec[], accepted: string[]): Load {
    return startRemoteLoad(this.clientNetns, streams, accepted)
  }

  async deploy(round: number): Promise<StreamSpec[]> {
    await this.docker(['service', 'create', '--detach', '--no-resolve-image', '--name', this.name(round),
      '--replicas', String(REPLICAS), '--network', NETWORK, '--endpoint-mode', 'dnsrr', '--env', 'VERSION=v1',
      // busybox-static's wget crashes with -T: the check is bounded by --health-timeout instead.
      '--health-cmd', 'wget -q -O /dev/null http://127.0.0.1/healthz || exit 1',
      '--health-interval', HEALTH.interval, '--health-timeout', HEALTH.timeout,
      '--health-retries', String(HEALTH.retries), '--health-start-period', '0s',
      '--update-order', 'start-first', '--update-parallelism', '1', '--update-delay', '0s',
      '--update-monitor', `${MONITOR_S}s`, '--update-failure-action', 'rollback', '--stop-grace-period', '10s',
      ROLLOUT_IMAGE])
    const { docker, label } = this.engine(round)
    const deadline = Date.now() + 180_000
    for (;;) {
      const cs = await docker.listContainers({ filters: { label: [label], health: ['healthy'] } })
      if (cs.length === REPLICAS) break
      if (Date.now() > deadline) throw new Error(`swarm: ${cs.length} of ${REPLICAS} healthy after 180 s`)
      await sleep(200)
    }
    // The same three streams at the same rates as Dokkaa's (steps.ts userStreams), to the service's name.
    const service = { host: this.name(round), port: 80, path: '/', dnsServer: '127.0.0.11' }
    const streams: StreamSpec[] = [
      { ...service, name: 'dnsrr keep-alive', keepAlive: true, rate: RATE / 2 },
      { ...service, name: 'dnsrr new connections', keepAlive: false, rate: RATE / 2 },
      { ...service, name: 'dnsrr new connections (2)', keepAlive: false, rate: RATE },
    ]
    await this.answering(streams)
    return streams
  }

  /** Waits until every stream gets v1 (the embedded DNS learns the tasks a moment after they are healthy). */
  private async answering(streams: StreamSpec[]): Promise<void> {
    const probe = this.startLoad(streams.map(s => ({ ...s, rate: 20 })), ['v1'])
    const deadline = Date.now() + 60_000
    try {
      for (;;) {
        const ok = probe.answers.filter(a => a.ok)
        if (new Set(ok.map(a => a.stream)).size === streams.length && ok.length >= 10) return
        if (Date.now() > deadline) throw new Error(`the streams do not all answer v1 within 60 s (${ok.length} ok answers)`)
        await sleep(100)
      }
    } finally {
      await probe.stop()
    }
  }

  async update(round: number): Promise<void> {
    await this.docker(['service', 'update', '--detach', '--env-add', 'VERSION=v2', this.name(round)])
  }

  async done(round: number): Promise<boolean> {
    const info = await this.lab.docker(this.index).getService(this.name(round)).inspect() as { UpdateStatus?: { State?: string } }
    return info.UpdateStatus?.State === 'completed'
  }

  async describe(round: number): Promise<string> {
    const ps = await this.docker(['service', 'ps', '--no-trunc', '--format', '{{.Name}} {{.DesiredState}} {{.CurrentState}} {{.Error}}', this.name(round)])
    const update = await this.docker(['service', 'inspect', '--format', '{{json .UpdateStatus}}', this.name(round)])
    return `update status: ${update.stdout.trim()}\ntasks:\n${ps.stdout.trim()}`
  }

  async remove(round: number): Promise<void> {
    await this.docker(['service', 'rm', this.name(round)]).catch(() => undefined)
    const { docker, label } = this.engine(round)
    const deadline = Date.now() + 60_000
    while ((await docker.listContainers({ all: true, filters: { label: [label] } })).length > 0) {
      if (Date.now() > deadline) throw new Error('swarm: containers still there 60 s after service rm')
      await sleep(200)
    }
  }
}
