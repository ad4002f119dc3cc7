// @ts-check
// An instance's health as its conductor reports it: starting, healthy or unhealthy, with
// the last failed check shown as text (and as the badge's tooltip) — the reason is what a
// user needs to fix a deploy, so it is not hidden behind a hover. "-" means no check.
import { h } from '../dom.js'

/**
 * @param {{ health?: string, healthError?: string, healthySince?: string }} i
 */
export function healthCell(i) {
  if (!i.health) return h('td', { class: 'ihealth muted', 'data-health': '', title: 'no health check: running counts as ready' }, '-')
  const failing = i.healthError && i.health !== 'healthy'
  return h('td', { class: 'ihealth', 'data-health': i.health },
    h('span', { class: `health ${i.health}`, title: i.healthError ?? (i.healthySince ? `healthy since ${i.healthySince}` : i.health) }, i.health),
    failing && h('div', { class: 'health-error', 'data-testid': 'health-error' }, i.healthError))
}
