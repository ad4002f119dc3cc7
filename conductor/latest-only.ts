// Per-key serial runner that keeps only the newest pending task: while a task for a key
// runs, further tasks for that key replace one another and the last one runs next. The
// agent announces through it, so a slow or frozen etcd never holds up Docker work, and
// announcements of one manifest still land in order (an older state never overwrites a
// newer one).
export class LatestOnly {
  private readonly running = new Map<string, Promise<void>>()
  private readonly pending = new Map<string, () => Promise<void>>()

  constructor(private readonly onError: (key: string, err: unknown) => void) {}

  run(key: string, task: () => Promise<void>): void {
    if (this.running.has(key)) {
      this.pending.set(key, task)
      return
    }
    const p = task()
      .catch(err => this.onError(key, err))
      .finally(() => {
        this.running.delete(key)
        const next = this.pending.get(key)
        this.pending.delete(key)
        if (next) this.run(key, next)
      })
    this.running.set(key, p)
  }

  /** Resolves when nothing runs or waits. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()])
  }

  /** Keys with a task running or waiting (tests, leak checks). */
  get size(): number {
    return this.running.size
  }
}
