// Dokkaa's side of the rollout benchmark: a real conductor (scheduling) and ambassador
// (test/deploys/cluster.ts) driving the lab host's engine — the same dockerd Swarm mode
// runs on — with published ports on that host's address. Each round is a manifest of
// its own (r1, r2, ...) of the same app, with the same image and health timing as
// Swarm's, start-first one at a time; clients go through the web router (kept-alive and
// new connections) and the link proxy. Rounds run one after another, each removed before
// the next, so the app's one web service always has one manifest behind it.
import type Docker from 'dockerode'
import type { NetnsLab } from '../cfg-cli/netns-lab.js'
import { startCluster, type Cluster } from '../test/deploys/cluster.js'
import { startLoad, type Load, type StreamSpec } from '../test/deploys/load.js'
import { deploy, userStreams } from '../test/deploys/steps.js'
import { rolloutView, webManifest, type WebAppOptions } from '../test/deploys/web-app.js'
import type { TeardownHost } from '../test/support/teardown-host.js'
import { LABELS } from '../schemas/index.js'
import { MONITOR_S, RATE, REPLICAS, type Side } from './rollout-bench-sample.js'

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

export class DokkaaSide implements Side {
  readonly side = 'Dokkaa' as const
  private constructor(private readonly c: Cluster) {}

  static async start(t: TeardownHost, lab: NetnsLab, index: number): Promise<DokkaaSide> {
    const host = lab.host(index)
    const c = await startCluster(t, { docker: { url: host.dockerd.host, client: lab.docker(index) }, hostAddress: host.address })
    return new DokkaaSide(c)
  }

  private name(round: number): string { return `r${round}` }

  private manifest(version: string): WebAppOptions {
    // Health timing: web-app.ts HEALTH, which the Swarm side's --health-* flags use too.
    return { version, scale: REPLICAS, monitor: `${MONITOR_S}s` }
  }

  engine(round: number): { docker: Docker; label: string } {
    // The label picks this round's manifest; the conductor labels every container with it.
    return { docker: this.c.docker, label: `${LABELS.name}=${this.name(round)}` }
  }

  async deploy(round: number): Promise<StreamSpec[]> {
    const { proxyPort } = await deploy(this.c, this.name(round), this.manifest('v1'))
    return userStreams(this.c, proxyPort, '/', RATE)
  }

  startLoad(streams: StreamSpec[], accepted: string[]): Load {
    return startLoad(streams, body => accepted.includes(body))
  }

  async update(round: number): Promise<void> {
    await this.c.put(this.name(round), webManifest(this.manifest('v2')))
  }

  async done(round: number): Promise<boolean> {
    const s = await this.c.status(this.name(round))
    return s?.phase === 'Running' && s.rollout?.state === 'completed' && s.rollout.updated === REPLICAS
  }

  async remove(round: number): Promise<void> {
    await this.c.remove(this.name(round))
    const deadline = Date.now() + 60_000
    while ((await this.c.containers(this.name(round))).length > 0) {
      if (Date.now() > deadline) throw new Error('dokkaa: containers still there 60 s after the manifest was deleted')
      await sleep(200)
    }
  }

  async describe(round: number): Promise<string> {
    const view = await rolloutView(this.c, this.name(round), 'v2', REPLICAS)
    return `status: ${JSON.stringify(await this.c.status(this.name(round)))}\nstill: ${view.why}\n${this.c.output().split('\n').slice(-20).join('\n')}`
  }
}
