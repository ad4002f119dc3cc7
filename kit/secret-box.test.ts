import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { secretAad } from '../schemas/index.js'
import { clusterKey, readClusterKey } from './secret-box.js'

t.test('sealed values open only under the same key, for the same app, name and version', async t => {
  const k = clusterKey(randomBytes(32))
  const aad = secretAad('shop', 'db-password', 1)
  const sealed = k.seal(Buffer.from('hunter2'), aad)
  t.notMatch(JSON.stringify(sealed), /hunter2/, 'no plaintext in the sealed value')
  t.equal(k.open(sealed, aad).toString(), 'hunter2')
  t.not(k.seal(Buffer.from('hunter2'), aad).data, sealed.data, 'a fresh IV each time')
  t.throws(() => k.open(sealed, secretAad('other', 'db-password', 1)), /does not open/, 'moved to another app')
  t.throws(() => k.open(sealed, secretAad('shop', 'db-password', 2)), /does not open/, 'another version')
  t.throws(() => k.open({ ...sealed, data: Buffer.from('x').toString('base64') }, aad), /does not open/, 'altered')
  t.throws(() => clusterKey(randomBytes(32)).open(sealed, aad), /sealed under cluster key .*copy the cluster's key file/, 'another key')
})

t.test('the key file: 32 bytes in base64, mode 0600', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'dokkaa-key-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'cluster.key')
  const raw = randomBytes(32)
  writeFileSync(file, `${raw.toString('base64')}\n`, { mode: 0o600 })
  t.equal(readClusterKey(file).id, clusterKey(raw).id)
  chmodSync(file, 0o644)
  t.throws(() => readClusterKey(file), /readable by others \(mode 644\): chmod 600/)
  writeFileSync(file, 'c2hvcnQ=\n', { mode: 0o600 })
  chmodSync(file, 0o600)
  t.throws(() => readClusterKey(file), /not 32 bytes in base64 .*openssl rand -base64 32/)
  t.throws(() => readClusterKey(join(dir, 'missing')), /cannot read the cluster key .*install\.sh/)
})
