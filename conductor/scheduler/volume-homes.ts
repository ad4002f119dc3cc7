// Volume homes: a named volume is a Docker volume on one host, and its data cannot follow
// the instance anywhere else. So the plan that first places an instance of a spec with
// named volumes records that host as the instance's home (/volumes/<app>/<name>/<index>,
// written with the assignment), and from then on the index is placed only there: after a
// restart, a rollout, a scale-down and up, a delete and put again. When the home host is
// down the index waits for it ("pin", the default), or — "volumeFailover": "recreate" —
// starts wherever it fits with empty volumes, and the home moves there, naming the host the
// data stayed on. Homes are never deleted here (scale-down and delete retain the data):
// only removing the volumes (the builder, through the home host) drops one. Pure.
import {
  namedVolumes, type AppRef, type ContainerSpec, type HostRecord, type KeyLayout, type VolumeHomeRecord,
} from '../../schemas/index.js'
import { fits, labelsOf, matchesConstraints, roomOf, wantedOf, type Load, type PlacementRequest } from './placement.js'
import type { ScheduleEvent } from './plan-types.js'

export type VolumeFailover = 'pin' | 'recreate'

/** The homes of one manifest, and which hosts are up. */
export interface HomesInput {
  /** The manifest's homes, by index (readable records only: a junk one counts as none). */
  homes: ReadonlyMap<number, VolumeHomeRecord>
  /** Ids of live hosts (a /hosts record, readable or not): a home elsewhere is down. */
  alive: ReadonlySet<string>
}

/** What one manifest's placement needs to know of homes. */
export interface HomeContext extends HomesInput {
  /** The manifest's policy; "pin" for an invalid manifest (its policy is unknown, and pin loses nothing). */
  failover: VolumeFailover
}

/** The host an index must run on because its volumes are there. */
export interface Pin {
  host: string
  /** The home host has no /hosts record: the index waits for it. */
  down: boolean
  /** The volumes that live there, for messages. */
  volumes: string[]
}

export const NO_HOMES: HomesInput = { homes: new Map(), alive: new Set() }

/** Where `index` of a manifest placing `spec` must run; undefined: anywhere it fits. */
export function pinOf(spec: Pick<ContainerSpec, 'volumes'>, index: number, hc: HomeContext): Pin | undefined {
  const names = namedVolumes(spec)
  const home = hc.homes.get(index)
  // A spec without named volumes needs no data: its index goes anywhere (the home stays
  // for when the volumes come back).
  if (names.length === 0 || !home) return undefined
  const down = !hc.alive.has(home.host)
  // "recreate": the home is gone, so the index starts wherever it fits, with empty volumes.
  if (down && hc.failover === 'recreate') return undefined
  return { host: home.host, down, volumes: home.volumes.length > 0 ? home.volumes : names }
}

/** The hosts an index may go to. */
export function allowedHosts(hosts: readonly HostRecord[], pin: Pin | undefined): HostRecord[] {
  return pin ? hosts.filter(h => h.id === pin.host) : [...hosts]
}

export function allows(pin: Pin | undefined, hostId: string): boolean {
  return !pin || pin.host === hostId
}

/** The status's problem for an index whose home host is down (pin): what it waits for and how not to. */
export function waitsFor(index: number, pin: Pin): string {
  return `instance ${index} waits for its volumes (${pin.volumes.join(', ')}) on host ${pin.host}, which is down; ` +
    'set "volumeFailover": "recreate" to start it elsewhere with empty volumes'
}

/** Why an index cannot go to its home host, which is up: "its volumes (data) are on h2, which …". */
export function whyNotHome(pin: Pin, hosts: readonly HostRecord[], load: Load, request: PlacementRequest): string {
  const at = `its volumes (${pin.volumes.join(', ')}) are on ${pin.host}`
  const home = hosts.find(h => h.id === pin.host)
  if (!home) return `${at}, whose host record is unreadable`
  if (!matchesConstraints(home, request.constraints)) return `${at}, which does not have the labels ${labelsOf(request.constraints)}`
  if (!fits(home, load, request.need)) return `${at}, which has no room for ${wantedOf(request.need)} (${roomOf(home, load)})`
  return `${at}`
}

/** The homes a manifest's assignments (once the plan is applied) call for, and what the status says of them. */
export interface HomesOutcome {
  puts: { key: string; value: VolumeHomeRecord }[]
  warnings: string[]
  events: ScheduleEvent[]
}

/**
 * Homes follow the assignments: an assigned index whose spec has named volumes and no
 * home gets one where it is assigned; one started elsewhere because its home is down
 * ("recreate") moves its home there, naming the old host; a home's volume list follows
 * the spec. An index assigned away from a home that is up (it could not move there yet)
 * leaves the home as it is: the data is there.
 */
export function plannedHomes(
  ref: AppRef, after: ReadonlyMap<number, { host: string; value: { spec: ContainerSpec } }>, hc: HomeContext, keys: KeyLayout, now: number,
): HomesOutcome {
  const out: HomesOutcome = { puts: [], warnings: [], events: [] }
  for (const [index, p] of [...after.entries()].sort(([a], [b]) => a - b)) {
    const names = namedVolumes(p.value.spec)
    if (names.length === 0) continue
    const home = hc.homes.get(index)
    let next = home
    if (!home) {
      next = { host: p.host, since: iso(now), volumes: names }
    } else if (home.host !== p.host) {
      if (!hc.alive.has(home.host) && hc.alive.has(p.host) && hc.failover === 'recreate') {
        next = { host: p.host, since: iso(now), volumes: names, recreatedFrom: home.host }
        out.events.push({ ...ref, index, message: `instance ${index} starts on ${p.host} with empty volumes (${names.join(', ')}): host ${home.host}, where its data is, is down (volumeFailover "recreate")` })
      }
    } else if (!sameSet(home.volumes, names)) {
      next = { ...home, volumes: names }
    }
    if (next && next !== home) out.puts.push({ key: keys.volumeHome({ ...ref, index }), value: next })
    if (next?.recreatedFrom !== undefined && next.host === p.host) {
      out.warnings.push(`instance ${index} started on ${p.host} with empty volumes (${next.volumes.join(', ')}); its data stays on ${next.recreatedFrom}`)
    }
  }
  return out
}

/** The homes of each manifest ("app/name"), by index, from the homes by instance ("app/name/index"). */
export function homesByManifest(homes: ReadonlyMap<string, VolumeHomeRecord> | undefined): Map<string, Map<number, VolumeHomeRecord>> {
  const out = new Map<string, Map<number, VolumeHomeRecord>>()
  for (const [id, home] of homes ?? []) {
    const slash = id.lastIndexOf('/')
    const index = Number(id.slice(slash + 1))
    const mid = id.slice(0, slash)
    if (slash < 0 || !Number.isInteger(index)) continue
    const byIndex = out.get(mid) ?? new Map<number, VolumeHomeRecord>()
    byIndex.set(index, home)
    out.set(mid, byIndex)
  }
  return out
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join('\0') === [...b].sort().join('\0')
}

function iso(ms: number): string {
  return new Date(ms).toISOString()
}
