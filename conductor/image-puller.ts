// Gets the image an instance's container is created from onto the host, the way its
// manifest's `pull` says: "missing" pulls only what the host lacks, "always" pulls on
// every create (following a tag that moved), "never" only uses what is here. Once an
// instance of the spec has run a registry digest, the scheduler pins it in the assignment
// (imageDigest) and the image is `repo@digest`, so a rollout never mixes two images. A
// private registry's credentials come from /registries/<host> (registry-auth.ts). One pull
// per reference at a time, shared by concurrent creates; its progress goes to each
// instance waiting on it, at most once a second.
import type { Logger } from 'pino'
import type { InstanceRef } from '../schemas/index.js'
import { DEFAULT_PULL_POLICY, parseImageReference, pinnedImage, registryOf } from '../schemas/index.js'
import type { DockerEngine, RegistryAuth } from './docker-engine.js'
import { ConductorError, ImagePullError } from './errors.js'
import type { DesiredInstance } from './model.js'
import { PullProgress } from './pull-progress.js'
import type { RegistryAuthSource } from './registry-auth.js'

/** Progress is passed on at most this often (each report is an etcd write, then a status write). */
export const PROGRESS_EVERY_MS = 1000

export interface ImagePullerDeps {
  engine: DockerEngine
  hostId: string
  /** Stored registry credentials; absent: every pull is anonymous. */
  auth?: RegistryAuthSource
  /** How far the pull of an instance's image is ("localhost:5000/app:v2: 2 of 5 layers…"); undefined once it ended. */
  onProgress?: (ref: InstanceRef, text: string | undefined) => void
  clock?: () => number
}

interface Pull {
  done: Promise<void>
  waiting: InstanceRef[]
}

export class ImagePuller {
  private readonly pulls = new Map<string, Pull>()

  constructor(private readonly deps: ImagePullerDeps) {}

  /** The reference to create the container from, once the engine has it. */
  async ensure(d: DesiredInstance, log: Logger): Promise<string> {
    const { engine, hostId } = this.deps
    const ref = imageToRun(d)
    const policy = d.spec.pull ?? DEFAULT_PULL_POLICY
    // A digest names one image for good: pulling it again could bring nothing new.
    const fixed = ref.includes('@')
    if (policy !== 'always' || fixed) {
      if (await engine.imageExists(ref)) return ref
      if (policy === 'never') {
        throw new ConductorError('DKA_CONDUCTOR_IMAGE_NOT_PRESENT', `image ${ref} is not on host ${hostId} and the manifest says "pull": "never": put it there (docker pull or docker load on that host), or set "pull" to "missing"`)
      }
    }
    await this.pullShared(ref, d.ref, log)
    return ref
  }

  private async pullShared(ref: string, instance: InstanceRef, log: Logger): Promise<void> {
    let pull = this.pulls.get(ref)
    if (pull) {
      pull.waiting.push(instance)
    } else {
      const waiting = [instance]
      pull = { done: this.pull(ref, waiting, log).finally(() => this.pulls.delete(ref)), waiting }
      this.pulls.set(ref, pull)
    }
    await pull.done
  }

  private async pull(ref: string, waiting: InstanceRef[], log: Logger): Promise<void> {
    const { engine, onProgress } = this.deps
    const clock = this.deps.clock ?? Date.now
    const host = registryOf(ref)
    const auth = host && this.deps.auth ? await this.deps.auth(host) : undefined
    log.info({ image: ref, registry: host, withCredentials: auth !== undefined }, 'pulling image')
    const progress = new PullProgress()
    let last = 0
    const tell = (text: string | undefined) => { for (const i of waiting) onProgress?.(i, text) }
    tell(`${ref}: ${progress.summary()}`)
    try {
      await engine.pull(ref, e => {
        // A layer's news (not every byte count) is worth a line in the log.
        if (e.current === undefined) log.info({ image: ref, layer: e.id, status: e.status }, 'pull progress')
        if (!progress.take(e) || clock() - last < PROGRESS_EVERY_MS) return
        last = clock()
        tell(`${ref}: ${progress.summary()}`)
      }, auth)
      log.info({ image: ref, progress: progress.summary() }, 'image pulled')
    } catch (err) {
      throw withCredentialHint(err, host, auth)
    } finally {
      tell(undefined)
    }
  }
}

/** The image reference an instance runs: its spec's, or the pinned digest of its repository. */
export function imageToRun(d: Pick<DesiredInstance, 'spec' | 'imageDigest'>): string {
  const image = d.spec.image
  if (!d.imageDigest) return image
  const parsed = parseImageReference(image)
  // A spec that names a digest itself runs exactly that.
  return parsed.ok && parsed.ref.digest ? image : pinnedImage(image, d.imageDigest)
}

const REFUSED = /unauthorized|authentication required|no basic auth credentials|access denied|denied: |\b401\b|\b403\b/i

/** A registry that refused us: say what to do about credentials. */
function withCredentialHint(err: unknown, host: string | undefined, auth: RegistryAuth | undefined): unknown {
  if (!(err instanceof ImagePullError) || !host || !REFUSED.test(err.message)) return err
  const login = `dokkaacfg registry login ${host} --username <user> --password-stdin`
  const hint = auth
    ? `the registry refused the credentials stored for ${host} (user ${auth.username}): store the right ones with ${login}`
    : `registry ${host} wants credentials and none are stored for it: an admin stores them with ${login}`
  return new ConductorError('DKA_CONDUCTOR_IMAGE_PULL_FAILED', `${err.message} — ${hint}`, { cause: err })
}
