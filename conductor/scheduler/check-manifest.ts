// One manifest's validation as the scheduler sees it: the app and name from its key
// first (a key written straight into etcd may name "VICTIM" or ".."; such a manifest is
// invalid whatever it holds), then the text against the schema, the image grammar and
// the limits of the cluster policy. Pure; the cache remembers the answer per revision
// and policy, since every plan looks at every manifest.
import {
  appRefProblems, containerSpec, parseManifest, specHash, type ClusterPolicy,
} from '../../schemas/index.js'
import type { CheckedManifest } from './plan-types.js'

export function checkManifest(m: { app: string; name: string; text: string }, policy: ClusterPolicy | undefined): CheckedManifest {
  const names = appRefProblems(m.app, m.name)
  if (names.length > 0) return { result: { ok: false, errors: names } }
  const result = parseManifest(m.text, policy)
  if (!result.ok) return { result }
  const spec = containerSpec(result.manifest)
  return { result, spec, specHash: specHash(spec) }
}

/**
 * Whether a raw key segment (app or name, valid or not) may be written back as part of a
 * status key: printable ASCII, no "/", at most 253 characters. Anything else (NUL,
 * newlines, unicode, 400 characters) is only logged — a status key built from it could
 * not be read back as the same key, or would be a key nobody should have to see.
 */
export function isStatusSafeSegment(s: string): boolean {
  return s.length > 0 && s.length <= 253 && /^[\x20-\x2e\x30-\x7e]+$/.test(s)
}
