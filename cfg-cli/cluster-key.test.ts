import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { readClusterKey } from '../kit/secret-box.js'
import { ensureClusterKey } from './cluster-key.js'

t.test('made once, mode 0600, readable as the parts read it; kept on the next up', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'dokkaacfg-key-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = ensureClusterKey(join(dir, 'state', 'cluster.key'))
  t.equal(statSync(file).mode & 0o777, 0o600)
  const id = readClusterKey(file).id
  const text = readFileSync(file, 'utf8')
  chmodSync(file, 0o644)
  ensureClusterKey(file)
  t.equal(readFileSync(file, 'utf8'), text, 'not replaced: the secrets in etcd are sealed under it')
  t.equal(statSync(file).mode & 0o777, 0o600, 'its mode put back')
  t.equal(readClusterKey(file).id, id)
})
