// The engine's events about this host's containers (die, stop, start, pause, destroy,
// health_status…), turned into "look at manifest app/name again" — and Docker's health
// verdicts passed on at once. Nothing else: the agent's worker reads the engine itself.
// exec_* events (Docker runs every HEALTHCHECK probe as an exec) change nothing we look at. A stream that ends (the engine restarted, the socket broke) is
// subscribed to again, and what happened in between is caught by `onResubscribed`.
import type { Logger } from 'pino'
import { LABELS } from '../schemas/index.js'
import type { DockerEngine, EventSubscription } from './docker-engine.js'

/** Pause before subscribing again after the stream ended, and after a failed subscribe. */
const AFTER_END_MS = 1000
const AFTER_FAILURE_MS = 2000

export interface EngineEventsOptions {
  engine: DockerEngine
  hostId: string
  log: Logger
  /** A container of manifest `mk` ("app/name") changed. */
  onChange: (mk: string) => void
  /** Docker's HEALTHCHECK of a container reached a verdict (a health_status event). */
  onHealth?: (containerId: string, status: 'starting' | 'healthy' | 'unhealthy') => void
  /** Subscribed again after a gap: events may have been missed. */
  onResubscribed: () => void
}

export class EngineEvents {
  private subscription?: EventSubscription
  private stopped = false

  constructor(private readonly o: EngineEventsOptions) {}

  /** Subscribes; never throws (a failure is logged and retried). */
  async start(): Promise<void> {
    const { o } = this
    try {
      this.subscription = await o.engine.events({ [LABELS.host]: o.hostId }, e => {
        if (e.action.startsWith('exec_')) return
        const health = /^health_status: (starting|healthy|unhealthy)$/.exec(e.action)?.[1] as 'starting' | 'healthy' | 'unhealthy' | undefined
        if (health && e.containerId) o.onHealth?.(e.containerId, health)
        const app = e.labels[LABELS.app]
        const name = e.labels[LABELS.name]
        if (app && name) o.onChange(`${app}/${name}`)
      }, err => {
        if (this.stopped) return
        o.log.warn({ err: err?.message }, 'docker event stream ended; resubscribing')
        this.again(AFTER_END_MS)
      })
    } catch (err) {
      o.log.warn({ err: (err as Error).message }, 'cannot subscribe to docker events; retrying')
      if (!this.stopped) this.again(AFTER_FAILURE_MS)
    }
  }

  close(): void {
    this.stopped = true
    this.subscription?.close()
  }

  private again(delayMs: number): void {
    setTimeout(() => { void this.start().then(() => this.o.onResubscribed()) }, delayMs).unref()
  }
}
