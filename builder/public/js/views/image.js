// @ts-check
// The image an instance runs, as its conductor reports it: the registry digest when the
// image came from a registry (what a rollout pins, so two instances on one tag can be told
// apart), else the local image id; while the image is pulled, how far the pull got.
import { h } from '../dom.js'

/** "sha256:<64 hex>" → the first 12 hex, as docker prints ids. */
const short = (/** @type {string} */ digest) => digest.replace(/^sha256:/, '').slice(0, 12)

/**
 * @param {{ imageDigest?: string, imageId?: string, pullProgress?: string }} i
 */
export function imageCell(i) {
  if (i.pullProgress) return h('td', { class: 'iimage muted', 'data-testid': 'image' }, `pulling: ${i.pullProgress}`)
  if (i.imageDigest) return h('td', { class: 'iimage', 'data-testid': 'image', title: i.imageDigest }, `sha256:${short(i.imageDigest)}`)
  if (i.imageId) return h('td', { class: 'iimage', 'data-testid': 'image', title: `local image ${i.imageId} (not from a registry, or its digest is not known yet)` }, `id:${short(i.imageId)}`)
  return h('td', { class: 'iimage muted', 'data-testid': 'image' }, '-')
}
