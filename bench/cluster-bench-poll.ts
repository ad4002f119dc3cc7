// How both orchestrators are watched in the cluster benchmark: the same way, by polling
// the surviving hosts' Docker engines for running containers of the workload. Neither
// side's own view (etcd records, `docker service ps`) decides when failover is over.
import type Docker from 'dockerode'

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

/** Running containers carrying `label` (k=v) on each engine. An engine that does not answer counts 0. */
export async function runningPerEngine(engines: Docker[], label: string): Promise<number[]> {
  return Promise.all(engines.map(e => e.listContainers({ filters: { label: [label], status: ['running'] } })
    .then(cs => cs.length, () => 0)))
}

/**
 * Polls every `intervalMs` until the engines together run at least `n` containers with
 * `label`; returns the time (ms since the epoch) of the first poll that saw them.
 */
export async function waitForRunning(engines: Docker[], label: string, n: number, timeoutMs: number, intervalMs = 100): Promise<number> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const counts = await runningPerEngine(engines, label)
    const seenAt = Date.now()
    if (counts.reduce((a, b) => a + b, 0) >= n) return seenAt
    if (seenAt > deadline) throw new Error(`${label}: only ${counts.join('+')} of ${n} running after ${timeoutMs} ms`)
    await sleep(intervalMs)
  }
}
