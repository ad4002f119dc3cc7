// How `dokkaacfg ps` shows instances: one row each, then what is too long for a column. Pure.
import type { ApiInstance } from '../schemas/index.js'
import { table } from './output.js'

export type PsRow = ApiInstance & { app: string; name: string }

const HEX_DIGEST = /^sha256:([0-9a-f]{64})$/

/**
 * What an instance runs, short: the registry digest ("sha256:" and its first 12 hex digits,
 * what `docker images --digests` lets one match), else the local image id ("id:" and 12 hex,
 * as `docker images` shows it) for an image that came from no registry, else "-".
 */
export function imageLabel(i: Pick<ApiInstance, 'imageDigest' | 'imageId'>): string {
  const digest = i.imageDigest?.match(HEX_DIGEST)?.[1]
  if (digest) return `sha256:${digest.slice(0, 12)}`
  const id = i.imageId?.match(HEX_DIGEST)?.[1]
  return id ? `id:${id.slice(0, 12)}` : '-'
}

/**
 * ps as a table: HEALTH is the conductor's verdict (starting, healthy, unhealthy; - when the
 * manifest and image have no check), IMAGE what the container runs. The last failed check of
 * each instance that is not healthy follows the table, and how far a pull got: too long for
 * a column, and what a user needs to know.
 */
export function psLines(rows: PsRow[]): string[] {
  const id = (r: PsRow) => `${r.app}/${r.name}/${r.index}`
  const lines = table(['INSTANCE', 'HOST', 'STATE', 'HEALTH', 'PORTS', 'RESTARTS', 'IMAGE'], rows.map(r => [
    id(r), r.host ?? '-', r.state ?? '-', r.health ?? '-',
    Object.entries(r.ports ?? {}).map(([s, p]) => `${s}=${r.hostAddress ?? ''}:${p}`).join(',') || '-', String(r.restarts ?? 0), imageLabel(r),
  ]))
  const failing = rows.filter(r => r.healthError && r.health !== 'healthy')
  const pulling = rows.filter(r => r.pullProgress)
  const below = [
    ...failing.map(r => `${id(r)}: last failed check: ${r.healthError}`),
    ...pulling.map(r => `${id(r)}: pulling: ${r.pullProgress}`),
  ]
  if (below.length) lines.push('', ...below)
  return lines
}
