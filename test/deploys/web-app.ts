// The workload of the zero-downtime tests and of the rollout benchmark: ROLLOUT_IMAGE
// as a web service with an http health check, and what "the rollout is over" means as a
// user checks it: exactly `scale` containers, all running the wanted version, named as
// the seed names them, each instance healthy, and the status saying the rollout completed.
import type Docker from 'dockerode'
import type { Manifest } from '../../schemas/index.js'
import { containerName } from '../../schemas/index.js'
import { ROLLOUT_IMAGE } from '../support/images.js'
import type { Cluster } from './cluster.js'

export const SERVICE = 'web'

/** Health timing shared with the benchmark's Swarm HEALTHCHECK. */
export const HEALTH = { interval: '1s', timeout: '2s', retries: 3 } as const

export interface WebAppOptions {
  version: string
  scale: number
  /** false: /healthz never answers 200 (HEALTHY=0). */
  healthy?: boolean
  /** The entrypoint ignores SIGTERM (IGNORE_TERM=1). */
  ignoreTerm?: boolean
  /** httpd logs every request's URL (LOG_REQUESTS=1), to count health checks. */
  logRequests?: boolean
  stopGracePeriod?: string
  /** update.monitor (default 2s: long enough to see a failure, short enough for a test). */
  monitor?: string
  order?: 'start-first' | 'stop-first'
  retries?: number
}

export function webManifest(o: WebAppOptions): Manifest {
  const env: Record<string, string> = { VERSION: o.version }
  if (o.healthy === false) env['HEALTHY'] = '0'
  if (o.ignoreTerm) env['IGNORE_TERM'] = '1'
  if (o.logRequests) env['LOG_REQUESTS'] = '1'
  return {
    image: ROLLOUT_IMAGE,
    scale: o.scale,
    env,
    services: { [SERVICE]: { port: 80, role: 'web' } },
    health: { http: '/healthz', ...HEALTH, ...(o.retries !== undefined ? { retries: o.retries } : {}) },
    update: { order: o.order ?? 'start-first', parallelism: 1, monitor: o.monitor ?? '2s', failureAction: 'rollback' },
    ...(o.stopGracePeriod !== undefined ? { stopGracePeriod: o.stopGracePeriod } : {}),
  }
}

export interface RolloutView {
  /** Exactly `scale` containers, all running `version`, with the seed's names. */
  allNew: boolean
  /** allNew, every instance record healthy, and the status says the rollout completed. */
  settled: boolean
  /** What is still missing, for messages. */
  why: string
}

/** VERSION of each container (inspected: the environment is what a user would check). */
export async function versionsOf(docker: Docker, containers: Docker.ContainerInfo[]): Promise<string[]> {
  return Promise.all(containers.map(async c => {
    const env = (await docker.getContainer(c.Id).inspect()).Config.Env ?? []
    return env.find(e => e.startsWith('VERSION='))?.slice('VERSION='.length) ?? '(none)'
  }))
}

/** Where a manifest's rollout to `version` stands; `rollout: false` for a first deploy (no rollout to complete). */
export async function rolloutView(cluster: Cluster, name: string, version: string, scale: number, { rollout = true } = {}): Promise<RolloutView> {
  const containers = await cluster.containers(name)
  const names = containers.map(c => (c.Names[0] ?? '').replace(/^\//, '')).sort()
  const want = Array.from({ length: scale }, (_, index) => containerName({ app: cluster.app, name, index })).sort()
  const versions = await versionsOf(cluster.docker, containers).catch(() => ['(a container vanished)'])
  const problems: string[] = []
  if (containers.some(c => c.State !== 'running')) problems.push(`states ${containers.map(c => c.State).join(',')}`)
  if (versions.some(v => v !== version)) problems.push(`versions ${versions.join(',')}`)
  if (names.join(',') !== want.join(',')) problems.push(`names ${names.join(',') || '(none)'} (want ${want.join(',')})`)
  const allNew = problems.length === 0
  const records = await cluster.instances(name)
  const healthy = records.filter(r => r.state === 'running' && r.health === 'healthy').length
  if (records.length !== scale || healthy !== scale) problems.push(`instance records: ${records.length}, healthy ${healthy} (${records.map(r => `${r.containerName} ${r.state}/${r.health ?? 'no health'}`).join(', ')})`)
  const status = await cluster.status(name)
  const done = status?.phase === 'Running' && (!rollout || (status.rollout?.state === 'completed' && status.rollout.updated === scale))
  if (!done) {
    const r = status?.rollout
    problems.push(`status ${status?.phase ?? '(none)'}, rollout ${r ? `${r.state} ${r.updated}/${r.total}${r.reason ? ` (${r.reason})` : ''}` : '(none)'}`)
  }
  return { allNew, settled: problems.length === 0, why: problems.join('; ') }
}
