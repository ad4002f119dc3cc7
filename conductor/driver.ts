// Carries out one step of a plan against the engine. Every step is idempotent: a name
// already taken by our own container, a container already gone, a container already in
// the wanted state all count as done. Images are used when present and pulled otherwise.
import type { Logger } from 'pino'
import type { InstanceRef } from '../schemas/index.js'
import { containerName, instanceFromLabels } from '../schemas/index.js'
import { createOptions, fallbackName, type HostContext } from './container-options.js'
import type { DockerEngine } from './docker-engine.js'
import { ConductorError, isCode } from './errors.js'
import type { DesiredInstance, Step } from './model.js'

export interface DriverDeps {
  engine: DockerEngine
  /** This host as containers see it, without link ports (each assignment carries its own). */
  host: Omit<HostContext, 'linkPorts'>
}

export class Driver {
  private readonly pulls = new Map<string, Promise<void>>()

  constructor(private readonly deps: DriverDeps) {}

  async apply(step: Step, log: Logger): Promise<void> {
    const { engine } = this.deps
    switch (step.kind) {
      case 'create':
        return this.create(step.desired, log)
      case 'replace':
        await engine.remove(step.containerId)
        return this.create(step.desired, log)
      case 'remove':
        return engine.remove(step.containerId)
      case 'start':
        await engine.start(step.containerId)
        if (step.thenPause) await engine.pause(step.containerId)
        return
      case 'restart':
        return engine.restart(step.containerId)
      case 'stop':
        // A paused container must be thawed before it can take the stop signal.
        await engine.unpause(step.containerId)
        return engine.stop(step.containerId)
      case 'pause':
        return engine.pause(step.containerId)
      case 'unpause':
        return engine.unpause(step.containerId)
    }
  }

  /** Uses the local image when present; otherwise one pull per image, shared by concurrent creates. */
  async ensureImage(image: string, log: Logger): Promise<void> {
    if (await this.deps.engine.imageExists(image)) return
    let pull = this.pulls.get(image)
    if (!pull) {
      log.info({ image }, 'image not present locally; pulling')
      pull = this.deps.engine.pull(image, status => log.info({ image, status }, 'pull progress'))
        .then(() => { log.info({ image }, 'image pulled') })
        .finally(() => this.pulls.delete(image))
      this.pulls.set(image, pull)
    }
    await pull
  }

  private async create(d: DesiredInstance, log: Logger): Promise<void> {
    const { engine, host } = this.deps
    await this.ensureImage(d.spec.image, log)
    const unported = (d.spec.links ?? []).filter(link => d.linkPorts?.[link] === undefined)
    if (unported.length > 0) {
      throw new ConductorError('DKA_CONDUCTOR_BAD_RECORD', `the assignment carries no stable port for link ${unported.join(', ')}; the scheduler writes one with every assignment — is the scheduler older than this conductor?`)
    }
    const ctx: HostContext = { ...host, linkPorts: d.linkPorts ?? {} }
    const base = containerName(d.ref)
    let id: string | undefined
    for (const name of [base, fallbackName(base, host.hostId)]) {
      id = await this.createNamed(d, ctx, name)
      if (id) break
    }
    if (!id) throw new Error(`container names ${base} and ${fallbackName(base, host.hostId)} are both taken by containers that are not this instance`)
    if (d.run === 'stopped') return
    await engine.start(id)
    if (d.run === 'paused') await engine.pause(id)
  }

  /** The new (or our already existing) container's id; undefined when someone else holds the name. */
  private async createNamed(d: DesiredInstance, ctx: HostContext, name: string): Promise<string | undefined> {
    const { engine } = this.deps
    try {
      return await engine.create(createOptions(d.spec, d.specHash, d.ref, ctx, name))
    } catch (err) {
      if (!isCode(err, 'DKA_CONDUCTOR_DOCKER_CONFLICT')) throw err
      const holder = await engine.inspect(name)
      if (!holder) return this.createNamed(d, ctx, name) // removed meanwhile: try again
      const owner = instanceFromLabels(holder.labels)
      if (owner && owner.host === ctx.hostId && sameRef(owner, d.ref)) {
        if (owner.spec === d.specHash) return holder.id
        // Our own older container still holds the name: the next pass removes it first.
        throw new Error(`container name ${name} is still held by the previous container of this instance`)
      }
      return undefined
    }
  }
}

function sameRef(a: InstanceRef, b: InstanceRef): boolean {
  return a.app === b.app && a.name === b.name && a.index === b.index
}
