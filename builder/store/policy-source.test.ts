import t from 'tap'
import { KeyLayout } from '../../schemas/index.js'
import type { Entry, Kv } from '../../kit/kv.js'
import { PolicySource } from './policy-source.js'

const keys = new KeyLayout('/p')

function fakeKv() {
  let entry: Entry | undefined
  let rev = 0
  const kv = { get: async () => entry } as unknown as Kv
  return { kv, set(value: string | undefined) { entry = value === undefined ? undefined : { key: keys.policy, value, createRevision: 1, modRevision: ++rev } } }
}

t.test('valid policies apply; an invalid one leaves the last valid one; none means defaults', async t => {
  const { kv, set } = fakeKv()
  const complaints: string[] = []
  const source = new PolicySource(kv, keys, errors => complaints.push(errors.map(e => `${e.path} ${e.message}`).join('; ')))
  t.same(await source.current(), {}, 'no key: defaults')
  set('{"allowHostNetwork": true, "limits": {"env": 2}}')
  t.same(await source.current(), { allowHostNetwork: true, limits: { env: 2 } })
  set('{"allowHostNetwork": "yes"')
  t.same(await source.current(), { allowHostNetwork: true, limits: { env: 2 } }, 'broken JSON: the last valid policy')
  set('{"allowHostNetwork": false, "bogus": 1}')
  t.same(await source.current(), { allowHostNetwork: true, limits: { env: 2 } }, 'an unknown field: the last valid policy')
  t.same(await source.current(), { allowHostNetwork: true, limits: { env: 2 } })
  t.equal(complaints.length, 2, 'each invalid value is reported once')
  t.match(complaints[1], /bogus|additional/)
  set('{"quotas": {"default": {"manifests": 3}}}')
  t.same(await source.current(), { quotas: { default: { manifests: 3 } } })
  set(undefined)
  t.same(await source.current(), {}, 'deleted: defaults')
  set('[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[')
  t.same(await source.current(), {}, 'junk after a delete: still the defaults')
})
