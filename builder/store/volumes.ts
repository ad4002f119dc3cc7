// Volume homes as users see them: where each instance's named volumes live (written by
// the scheduler at placement, kept after scale-down and delete), whether that host is up
// and whether the instance still uses them; and their removal, which only the home
// host's conductor can carry out (through its agent API: Docker volumes never travel).
import type { Kv } from '../../kit/kv.js'
import {
  dockerVolumeName, readVolumeHome, type ApiVolume, type InstanceRef, type KeyLayout, type VolumeHomeRecord,
} from '../../schemas/index.js'

/** Every volume home of an app, in name and index order. */
export async function listVolumes(kv: Kv, keys: KeyLayout, app: string): Promise<ApiVolume[]> {
  const [homes, hosts, instances] = await Promise.all([
    kv.list(`${keys.volumesRoot}${app}/`), kv.list(keys.hosts), kv.list(`${keys.instances}${app}/`),
  ])
  const up = new Set(hosts.map(h => h.key.slice(keys.hosts.length)))
  const running = new Set(instances.map(i => i.key))
  const scales = new Map<string, number>()
  const out: ApiVolume[] = []
  for (const { key, value } of homes) {
    const ref = keys.parseVolumeHome(key)
    const home = ref && readVolumeHome(value)
    if (!ref || !home) continue
    if (!scales.has(ref.name)) scales.set(ref.name, await scaleOf(kv, keys, ref))
    out.push(view(ref, home, up.has(home.host), running.has(keys.instance(ref)) || ref.index < scales.get(ref.name)!))
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.index - b.index))
}

/** One volume home, or undefined. */
export async function getVolume(kv: Kv, keys: KeyLayout, ref: InstanceRef): Promise<{ view: ApiVolume; value: string } | undefined> {
  const entry = await kv.get(keys.volumeHome(ref))
  const home = entry && readVolumeHome(entry.value)
  if (!entry || !home) return undefined
  const [host, instance, scale] = await Promise.all([kv.get(keys.host(home.host)), kv.get(keys.instance(ref)), scaleOf(kv, keys, ref)])
  return { view: view(ref, home, host !== undefined, instance !== undefined || ref.index < scale), value: entry.value }
}

function view(ref: InstanceRef, home: VolumeHomeRecord, hostUp: boolean, inUse: boolean): ApiVolume {
  return {
    app: ref.app, name: ref.name, index: ref.index, host: home.host, hostUp, inUse,
    volumes: home.volumes.map(volume => ({ volume, dockerName: dockerVolumeName(ref, volume) })),
    since: home.since, ...(home.recreatedFrom ? { recreatedFrom: home.recreatedFrom } : {}),
  }
}

/** The manifest's scale (0 when there is none, or it does not read as a manifest). */
async function scaleOf(kv: Kv, keys: KeyLayout, ref: { app: string; name: string }): Promise<number> {
  const text = (await kv.get(keys.manifest(ref)))?.value
  if (text === undefined) return 0
  try {
    const doc = JSON.parse(text) as { scale?: unknown }
    return typeof doc.scale === 'number' ? doc.scale : 1
  } catch {
    return 0
  }
}
