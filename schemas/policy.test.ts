import t from 'tap'
import { parsePolicy, quotaFor, quotaProblems, usageOf, type ClusterPolicy } from './policy.js'

t.test('a valid policy parses; every mistake names its path', async t => {
  const ok = parsePolicy('{"allowHostNetwork": true, "limits": {"bytes": 4096}, "quotas": {"default": {"manifests": 5, "memory": "2g"}, "users": {"bob": {"instances": 3}}}}')
  t.ok(ok.ok)
  const cases: [string, string][] = [
    ['{', ''], ['[]', ''], ['{"limits": {"bytes": -1}}', '/limits/bytes'], ['{"limits": {"nope": 1}}', '/limits'],
    ['{"quotas": {"default": {"memory": "lots"}}}', '/quotas/default/memory'], ['{"allowHostNetwork": "yes"}', '/allowHostNetwork'],
  ]
  for (const [text, path] of cases) {
    const r = parsePolicy(text)
    t.equal(r.ok, false, text)
    if (!r.ok) t.equal(r.errors[0]?.path, path, text)
  }
  t.equal(parsePolicy(' '.repeat(2 * 1024 * 1024)).ok, false, 'a huge policy is refused before parsing')
})

const policy: ClusterPolicy = { quotas: { default: { manifests: 2, instances: 4, memory: '1g' }, users: { big: { manifests: 100 } } } }

t.test('whose quota applies', async t => {
  t.equal(quotaFor(policy, 'root'), undefined, 'root is exempt by default')
  t.same(quotaFor({ quotas: { ...policy.quotas, includeRoot: true } }, 'root'), policy.quotas?.default)
  t.same(quotaFor(policy, 'alice'), policy.quotas?.default)
  t.same(quotaFor(policy, 'big'), { manifests: 100 }, 'a user\'s own quota replaces the default')
  t.equal(quotaFor(undefined, 'alice'), undefined)
})

t.test('usage and the quota it breaks', async t => {
  const u = usageOf([{ scale: 2, resources: { memory: '256m' } }, { scale: 1, resources: { memory: '512m' } }])
  t.same(u, { manifests: 2, instances: 3, memory: 1024 ** 3, unsized: 0 })
  t.same(quotaProblems(policy, 'alice', u), [])
  const more = usageOf([{ scale: 3, resources: { memory: '512m' } }, { scale: 2, resources: { memory: '1m' } }, { scale: 0, resources: { memory: '1m' } }])
  const msgs = quotaProblems(policy, 'alice', more).map(e => e.message)
  t.match(msgs[0], /user "alice" would have 3 manifests; quota manifests is 2/)
  t.match(msgs[1], /5 instances; quota instances is 4/)
  t.match(msgs[2], /of memory; quota memory is 1g/)
  t.same(quotaProblems(policy, 'root', more), [], 'root is not limited')
  const unsized = quotaProblems(policy, 'alice', usageOf([{ scale: 1 }]))
  t.same(unsized.map(e => e.path), ['/resources/memory'], 'under a memory quota every manifest states its memory')
})
