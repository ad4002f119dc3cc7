// Which registry digest each container runs, for its instance record (and so for the
// scheduler's pin and `dokkaacfg ps`): a container made from "repo@sha256:…" says so
// itself; one made from a tag runs an image whose RepoDigests tell, asked once per image
// id (an id never changes content; an image without one is asked again now and then, as
// a later pull by digest can add it).
import type { Logger } from 'pino'
import { digestFor, isImageDigest } from '../schemas/index.js'
import type { ContainerDetail, DockerEngine } from './docker-engine.js'

/** How long "this image came from no registry" is believed. */
const NONE_KEPT_MS = 5 * 60_000

export class ImageDigests {
  private readonly known = new Map<string, { repoDigests: string[]; at: number }>()

  constructor(private readonly engine: DockerEngine, private readonly log: Logger, private readonly clock: () => number = Date.now) {}

  /** Asks the engine about the images of these containers it was not asked about yet. */
  async learn(details: readonly ContainerDetail[]): Promise<void> {
    const now = this.clock()
    const ids = new Set(details.map(d => d.imageId).filter((id): id is string => id !== undefined))
    for (const id of ids) {
      const k = this.known.get(id)
      if (k && (k.repoDigests.length > 0 || now - k.at < NONE_KEPT_MS)) continue
      try {
        const facts = await this.engine.inspectImage(id)
        this.known.set(id, { repoDigests: facts?.repoDigests ?? [], at: now })
      } catch (err) {
        // Informational only: the record goes out without a digest, the next pass asks again.
        this.log.debug({ image: id, err: (err as Error).message }, 'cannot inspect the image of a container')
      }
    }
    // Images no container of ours runs any more are forgotten when the map grows large.
    if (this.known.size > 1000) this.known.clear()
  }

  digestOf(c: ContainerDetail): string | undefined {
    const ref = c.imageRef
    if (!ref) return undefined
    const at = ref.lastIndexOf('@')
    if (at > 0) return isImageDigest(ref.slice(at + 1)) ? ref.slice(at + 1) : undefined
    const k = c.imageId ? this.known.get(c.imageId) : undefined
    return k ? digestFor(ref, k.repoDigests) : undefined
  }
}
