// A private etcd for tests that do to etcd what the shared one at 2379 must never see:
// take it away (SIGSTOP, SIGKILL) and bring it back, or compact its history (which would
// fail other tests' reads pinned to a revision). Free loopback ports, its own data dir,
// and only the pid this helper started is ever signalled.
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Etcd3 } from 'etcd3'
import { startProcess, type StartedProcess } from './processes.js'
import { waitFor } from './wait-for.js'

export interface OwnEtcd {
  readonly url: string
  /** The current etcd process (a new one after restart()). */
  readonly proc: StartedProcess
  pause(): void
  resume(): void
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<void>
  /** Starts again on the same ports and data dir; resolves once it answers. */
  restart(): Promise<void>
  /** Kills it and removes its data dir. */
  close(): Promise<void>
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

export async function startOwnEtcd(): Promise<OwnEtcd> {
  const dir = await mkdtemp(join(tmpdir(), 'dokkaa-etcd-'))
  const client = await freePort()
  const peer = await freePort()
  const url = `http://127.0.0.1:${client}`
  const peerUrl = `http://127.0.0.1:${peer}`
  const args = [
    '--data-dir', join(dir, 'data'), '--name', 'default',
    '--listen-client-urls', url, '--advertise-client-urls', url,
    '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', `default=${peerUrl}`, '--log-level', 'warn',
  ]
  let proc!: StartedProcess
  const launch = async () => {
    proc = startProcess('etcd', args, {}, { name: `etcd :${client}` })
    const probe = new Etcd3({ hosts: [url] })
    try {
      await waitFor(async () => (await probe.get('probe').string(), true), { timeoutMs: 30_000, what: `etcd on ${url}` })
    } finally {
      probe.close()
    }
  }
  await launch()
  return {
    url,
    get proc() { return proc },
    pause: () => { process.kill(proc.pid, 'SIGSTOP') },
    resume: () => { process.kill(proc.pid, 'SIGCONT') },
    async kill() { await proc.stop('SIGKILL') },
    restart: launch,
    async close() {
      if (!proc.exit()) {
        try { process.kill(proc.pid, 'SIGCONT') } catch { /* already gone */ }
        await proc.stop('SIGKILL')
      }
      await rm(dir, { recursive: true, force: true })
    },
  }
}
