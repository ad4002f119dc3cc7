// Per-key serial runner that keeps only the newest pending task: while a task for a key
// runs, further tasks for that key replace one another and the last one runs next. The
// agent announces through it, so a slow or frozen etcd never holds up Docker work, and
// announcements of one manifest still land in order (an older state never overwrites a
// newer one). A graceful stop waits for its withdrawal to land (runAndWait).
interface Pending {
  task: () => Promise<void>
  /** Callers waiting for a task at least as new as this one to finish. */
  waiters: (() => void)[]
}

export class LatestOnly {
  private readonly running = new Map<string, Promise<void>>()
  private readonly pending = new Map<string, Pending>()

  constructor(private readonly onError: (key: string, err: unknown) => void) {}

  run(key: string, task: () => Promise<void>): void {
    this.enqueue(key, { task, waiters: [] })
  }

  /** Like run; resolves when this task, or a newer one that replaced it, has finished (failed included). */
  runAndWait(key: string, task: () => Promise<void>): Promise<void> {
    return new Promise(resolve => this.enqueue(key, { task, waiters: [resolve] }))
  }

  private enqueue(key: string, next: Pending): void {
    if (this.running.has(key)) {
      // The newer task replaces the waiting one and answers its waiters.
      const replaced = this.pending.get(key)
      this.pending.set(key, { task: next.task, waiters: [...replaced?.waiters ?? [], ...next.waiters] })
      return
    }
    const p = next.task()
      .catch(err => this.onError(key, err))
      .finally(() => {
        this.running.delete(key)
        for (const w of next.waiters) w()
        const after = this.pending.get(key)
        this.pending.delete(key)
        if (after) this.enqueue(key, after)
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
