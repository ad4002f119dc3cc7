// Anything that can run a function when a test ends. tap's `t` fits, so helpers
// can take `t` and clean up after themselves without importing tap here.
export interface TeardownHost {
  teardown(fn: () => unknown): void
}
