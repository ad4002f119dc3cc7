// @ts-check
// A manifest's last rolling update, as the scheduler's status tells it: from → to revision,
// how many instances are updated of how many, the state, and — when it was rolled back or
// paused — why. Rendered from the status alone, so a live status event redraws it.
import { ago, h, notice, stateBadge } from '../dom.js'

/** @typedef {{ state: string, from: { revision: number }, to: { revision: number }, updated: number, total: number, reason?: string, startedAt?: string, endedAt?: string }} Rollout */

/** @type {Record<string, string>} */
const WHAT = { rolling: 'Rolling update', completed: 'Rolled out', 'rolled-back': 'Rolled back', paused: 'Paused' }

/**
 * The rollout card's content, or nothing before a manifest's first rolling update.
 * @param {Rollout | undefined} r
 * @returns {Node[]}
 */
export function rolloutPanel(r) {
  if (!r) return []
  const when = r.endedAt ? `ended ${ago(r.endedAt)}` : r.startedAt ? `started ${ago(r.startedAt)}` : ''
  const nodes = [
    h('div', { class: 'row' },
      h('strong', {}, WHAT[r.state] ?? r.state),
      h('span', { 'data-testid': 'rollout-revisions' }, `revision ${r.from.revision} → ${r.to.revision}`),
      h('span', { 'data-testid': 'rollout-state' }, stateBadge(r.state)),
      h('span', { class: 'muted' }, when)),
    h('div', { class: 'row' },
      h('progress', { max: Math.max(1, r.total), value: r.updated, 'aria-label': 'instances updated' }),
      h('span', { 'data-testid': 'rollout-progress' }, `${r.updated}/${r.total} updated`)),
  ]
  if (r.state === 'rolled-back') {
    nodes.push(notice('bad', `Back on revision ${r.from.revision}: ${r.reason ?? 'the new version failed'}. Revision ${r.to.revision} stays in the manifest; save a fixed one to roll out again.`))
  } else if (r.state === 'paused') {
    nodes.push(notice('bad', `Stopped at ${r.updated}/${r.total}: ${r.reason ?? 'the new version failed'}. Save the manifest again to start a new rollout.`))
  }
  return nodes
}
