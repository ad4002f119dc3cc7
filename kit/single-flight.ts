// At most one run of an async task at a time: callers that arrive while it runs share
// its promise instead of starting a second one (a reload, a resync, a connect). After
// it settles, the next call starts a fresh run — so a failed run is retried by the
// next caller, never cached.

export function singleFlight<T>(task: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined
  return () => {
    running ??= task().finally(() => { running = undefined })
    return running
  }
}
