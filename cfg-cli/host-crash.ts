// A namespace host dying as a real machine does: no goodbye to etcd, no container
// shutdown, its address gone from the network. Used by the failover test and the
// cluster benchmark (for Dokkaa and Swarm mode alike).
//
// Killing only the namespace's processes is not enough: containers live in their own
// network namespaces (so `ip netns pids` does not list them) and survive the death of
// their containerd shim. Their init pids are read from the engine first and killed
// too, so nothing of the host outlives it and a later `down` leaves nothing behind.
import Docker from 'dockerode'
import { run } from './run-command.js'
import { dockerClient } from './netns-host.js'
import { waitUntil } from './processes.js'
import type { NetnsHostRecord } from './netns-host.js'

/** The pids of every running container's init process in this host's engine (empty if it does not answer). */
export async function containerInitPids(docker: Docker): Promise<number[]> {
  try {
    const cs = await docker.listContainers()
    const infos = await Promise.all(cs.map(c => docker.getContainer(c.Id).inspect().catch(() => undefined)))
    return infos.map(i => i?.State.Pid ?? 0).filter(p => p > 0)
  } catch {
    return []
  }
}

/**
 * Pulls the host's cable and power at once: the bridge-side veth goes down (peers now
 * time out instead of being refused), then every process of the host and every
 * container init gets SIGKILL. Returns the time of the kill (ms since the epoch).
 */
export async function crashNetnsHost(host: NetnsHostRecord): Promise<number> {
  const containerPids = host.dockerd ? await containerInitPids(dockerClient(host.dockerd)) : []
  const nsPids = (await run('ip', ['netns', 'pids', host.netns], { allowFail: true })).stdout.split(/\s+/).filter(Boolean).map(Number)
  await run('ip', ['link', 'set', host.vethHost, 'down'], { allowFail: true })
  const at = Date.now()
  for (const pid of [...containerPids, ...nsPids]) { try { process.kill(pid, 'SIGKILL') } catch { /* already gone */ } }
  await waitUntil(() => [...containerPids, ...nsPids].every(p => { try { process.kill(p, 0); return false } catch { return true } }), 10_000, 50)
  return at
}
