// Carries out one step of a plan against the engine. Every step is idempotent: a name
// already taken by our own container, a container already gone, a container already in
// the wanted state all count as done. Images are fetched as the manifest's `pull` says (image-puller.ts).
// Graceful steps (retire, stop, restart) reach here once graceful-steps.ts has withdrawn
// and drained the container: Docker stops it with its stop signal and grace period.
import type { Logger } from 'pino'
import type { InstanceRef } from '../schemas/index.js'
import { containerName, instanceFromLabels } from '../schemas/index.js'
import { besideName, createOptions, fallbackName, type HostContext } from './container-options.js'
import type { ContainerMount, DockerEngine } from './docker-engine.js'
import { ConductorError, isCode } from './errors.js'
import type { DesiredInstance, Step } from './model.js'
import type { ValueFiles } from './value-files.js'
import { ImagePuller } from './image-puller.js'
import { hasValues } from './value-mounts.js'
import { explainMountError } from './volume-mounts.js'

export interface DriverDeps {
  engine: DockerEngine
  /** This host as containers see it, without link ports (each assignment carries its own). */
  host: Omit<HostContext, 'linkPorts'>
  /** Secret and config files (absent: a spec naming any fails its create). */
  values?: ValueFiles
  /** Fetches images (absent: one without credentials or progress reports). */
  images?: ImagePuller
}

/** Who holds a container name we tried. */
type Holder = 'this instance, this spec' | 'this instance, another spec' | 'someone else' | 'nobody'

export class Driver {
  private readonly images: ImagePuller

  constructor(private readonly deps: DriverDeps) {
    this.images = deps.images ?? new ImagePuller({ engine: deps.engine, hostId: deps.host.hostId })
  }

  /** `graceMs`: the grace period of a graceful step (absent: the container's own). */
  async apply(step: Step, log: Logger, graceMs?: number): Promise<void> {
    const { engine } = this.deps
    const timeoutSec = graceMs === undefined ? undefined : Math.ceil(graceMs / 1000)
    switch (step.kind) {
      case 'create':
        return this.create(step.desired, log)
      case 'replace':
        await engine.remove(step.containerId)
        await this.sweepValues(log)
        return this.create(step.desired, log)
      case 'remove':
        await engine.remove(step.containerId)
        return this.sweepValues(log)
      case 'retire':
        // A paused container must be thawed before it can take the stop signal.
        await engine.unpause(step.containerId)
        await engine.stop(step.containerId, timeoutSec)
        await engine.remove(step.containerId)
        return this.sweepValues(log)
      case 'start':
        try {
          await engine.start(step.containerId)
        } catch (err) {
          // Its secret and config files are gone (a reboot empties the tmpfs): a container made
          // again gets them afresh; reconcile creates it once this one is removed.
          if (!this.deps.values?.holds((err as Error).message)) throw err
          log.warn({ containerId: step.containerId }, 'the container\'s secret and config files are gone (host rebooted?); removing it to create it again')
          return engine.remove(step.containerId)
        }
        if (step.thenPause) await engine.pause(step.containerId)
        return
      case 'restart':
        return engine.restart(step.containerId, timeoutSec)
      case 'stop':
        await engine.unpause(step.containerId)
        return engine.stop(step.containerId, timeoutSec)
      case 'pause':
        return engine.pause(step.containerId)
      case 'unpause':
        return engine.unpause(step.containerId)
      case 'rename':
        return this.rename(step.ref, step.containerId)
    }
  }

  private async create(d: DesiredInstance, log: Logger): Promise<void> {
    const { engine, host } = this.deps
    const image = await this.images.ensure(d, log)
    const unported = (d.spec.links ?? []).filter(link => d.linkPorts?.[link] === undefined)
    if (unported.length > 0) {
      throw new ConductorError('DKA_CONDUCTOR_BAD_RECORD', `the assignment carries no stable port for link ${unported.join(', ')}; the scheduler writes one with every assignment — is the scheduler older than this conductor?`)
    }
    const ctx: HostContext = { ...host, linkPorts: d.linkPorts ?? {} }
    const values = this.deps.values
    if (!values && hasValues(d.spec)) throw new ConductorError('DKA_CONDUCTOR_SECRET_FILES', 'this conductor writes no secret or config files')
    const mounts = values ? await values.prepare(d) : []
    let id: string
    try {
      id = await this.createNamed(d, ctx, mounts, image)
    } finally {
      values?.created(d)
    }
    if (d.run === 'stopped') return
    await engine.start(id)
    if (d.run === 'paused') await engine.pause(id)
  }

  /** The new (or our already existing) container's id. The canonical name, else — when our
   * own container of another spec holds it (start-first) — a name beside it; when another
   * host's container on a shared engine holds it, the fallback name (and beside that). */
  private async createNamed(d: DesiredInstance, ctx: HostContext, mounts: ContainerMount[], image: string): Promise<string> {
    const canonical = containerName(d.ref)
    const tried: string[] = []
    for (const base of [canonical, fallbackName(canonical, ctx.hostId)]) {
      for (const name of [base, besideName(base, d.specHash)]) {
        tried.push(name)
        const made = await this.tryCreate(d, ctx, name, mounts, image)
        if ('id' in made) return made.id
        if (made.heldBy !== 'this instance, another spec') break
      }
    }
    throw new Error(`container names ${tried.join(', ')} are all taken by containers that are not this instance`)
  }

  /** The container made (or ours already there, same spec), else who holds the name. */
  private async tryCreate(d: DesiredInstance, ctx: HostContext, name: string, mounts: ContainerMount[], image: string): Promise<{ id: string } | { heldBy: Holder }> {
    const { engine } = this.deps
    try {
      return { id: await engine.create({ ...createOptions(d.spec, d.specHash, d.ref, ctx, name, mounts), image }) }
    } catch (err) {
      if (!isCode(err, 'DKA_CONDUCTOR_DOCKER_CONFLICT')) throw withMountHint(err, d, ctx.hostId)
      const holder = await this.holderOf(name, d.ref, d.specHash)
      if (holder.heldBy === 'nobody') return this.tryCreate(d, ctx, name, mounts, image) // removed meanwhile: try again
      return holder.heldBy === 'this instance, this spec' ? { id: holder.id } : { heldBy: holder.heldBy }
    }
  }

  /** A container is gone: so are the secret and config files nothing uses any more. */
  private async sweepValues(log: Logger): Promise<void> {
    try {
      const removed = await this.deps.values?.sweep(this.deps.engine)
      if (removed?.length) log.debug({ removed }, 'removed the secret and config files of removed containers')
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'cannot remove secret and config files yet; the next removal or start retries')
    }
  }

  /** The instance's only container takes the canonical name (the fallback one on a shared engine). */
  private async rename(ref: InstanceRef, id: string): Promise<void> {
    const canonical = containerName(ref)
    for (const name of [canonical, fallbackName(canonical, this.deps.host.hostId)]) {
      try {
        return await this.deps.engine.rename(id, name)
      } catch (err) {
        if (!isCode(err, 'DKA_CONDUCTOR_DOCKER_CONFLICT')) throw err
      }
    }
    throw new Error(`container names ${canonical} and ${fallbackName(canonical, this.deps.host.hostId)} are both taken by other containers`)
  }

  private async holderOf(name: string, ref: InstanceRef, specHash: string): Promise<{ heldBy: Holder; id: string }> {
    const holder = await this.deps.engine.inspect(name)
    if (!holder) return { heldBy: 'nobody', id: '' }
    const owner = instanceFromLabels(holder.labels)
    if (!owner || owner.host !== this.deps.host.hostId || !sameRef(owner, ref)) return { heldBy: 'someone else', id: holder.id }
    return { heldBy: owner.spec === specHash ? 'this instance, this spec' : 'this instance, another spec', id: holder.id }
  }
}

/** A bind whose host directory is missing: Docker's message, and which volume it is. */
function withMountHint(err: unknown, d: DesiredInstance, hostId: string): unknown {
  const hint = err instanceof ConductorError ? explainMountError(err.message, d.spec, hostId) : undefined
  return hint === undefined ? err : new ConductorError((err as ConductorError).code, hint, { cause: err })
}

function sameRef(a: InstanceRef, b: InstanceRef): boolean {
  return a.app === b.app && a.name === b.name && a.index === b.index
}
