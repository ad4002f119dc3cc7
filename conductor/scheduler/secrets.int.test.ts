// Secrets and configs against the real etcd, with the scheduler running and hosts registered
// as conductors register them: records written as the builder writes them (the secret sealed
// under a key the scheduler never sees). A manifest naming a secret its app lacks is not
// placed and its status says how to create it; once it exists the assignment carries its
// version and sealed value, and the config's text; a new version (2) rolls the instance: a
// new spec hash. Everything read back as a user reads etcd.
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { clusterKey } from '../../kit/secret-box.js'
import { assignedSpecHash, secretAad, type ConfigRecord, type SecretRecord } from '../../schemas/index.js'
import { waitFor } from '../../test/support/wait-for.js'
import { assignments, fakeHost, putManifest, scheduler, status, testCluster, type Cluster } from './test-kit.js'

const ref = { app: 'shop', name: 'web' }
const doc = { image: 'dokkaa/busybox:test', secrets: ['db-password'], configs: { '/etc/app/app.toml': 'app-config' } }
const key = clusterKey(randomBytes(32))
const wait = <T>(fn: () => T | Promise<T>, what: string) => waitFor(fn, { timeoutMs: 15_000, intervalMs: 20, what })

async function putSecret(c: Cluster, version: number, value: string): Promise<SecretRecord> {
  const at = new Date().toISOString()
  const record: SecretRecord = { version, createdAt: at, updatedAt: at, sealed: key.seal(Buffer.from(value), secretAad('shop', 'db-password', version)) }
  await c.etcd.client.put(c.keys.secret('shop', 'db-password')).value(JSON.stringify(record))
  return record
}

async function putConfig(c: Cluster, version: number, data: string): Promise<void> {
  const at = new Date().toISOString()
  const record: ConfigRecord = { version, createdAt: at, updatedAt: at, data }
  await c.etcd.client.put(c.keys.config('shop', 'app-config')).value(JSON.stringify(record))
}

t.test('missing: not placed, the status says how to create it; present: carried with its version; version 2 rolls', async t => {
  const c = testCluster(t)
  const h1 = await fakeHost(t, c, 'h1')
  scheduler(t, c, 'sched')
  await putConfig(c, 1, 'port = 8080\n')
  await putManifest(c, ref, doc)
  const invalid = await wait(async () => { const s = await status(c, ref); return s?.phase === 'Invalid' && s }, 'status Invalid')
  t.same(invalid.errors, [{
    path: '/secrets/0',
    message: 'secret "db-password" of app shop does not exist: create it with dokkaacfg secret create shop/db-password --from-file <file>',
  }])
  t.same(await assignments(c, ref), [], 'nothing placed')

  // Junk under /secrets counts as missing and changes nothing.
  await c.etcd.client.put(c.keys.secret('shop', 'db-password')).value('{"version": 1, "value": "hunter2"}')
  await new Promise(r => setTimeout(r, 300))
  t.same(await assignments(c, ref), [], 'a junk record: still nothing placed')

  const v1 = await putSecret(c, 1, 'hunter2')
  const [a1] = await wait(async () => { const a = await assignments(c, ref); return a.length === 1 && a }, 'assignment written')
  t.same(a1!.value.secrets, { 'db-password': { version: 1, sealed: v1.sealed } }, 'the version and the sealed value')
  t.same(a1!.value.configs, { 'app-config': { version: 1, data: 'port = 8080\n' } }, 'the config\'s text')
  t.notOk(JSON.stringify(a1!.value).includes('hunter2'), 'no plaintext in the assignment')
  t.equal(a1!.value.specHash, assignedSpecHash(a1!.value.spec, a1!.value))
  await h1.reportAll()
  await wait(async () => (await status(c, ref))?.phase === 'Running', 'phase Running')

  const v2 = await putSecret(c, 2, 'correct horse')
  const [a2] = await wait(async () => { const a = await assignments(c, ref); return a[0]?.value.secrets?.['db-password']?.version === 2 && a }, 'version 2 assigned')
  t.not(a2!.value.specHash, a1!.value.specHash, 'a new spec hash: the instance rolls')
  t.same(a2!.value.secrets?.['db-password']?.sealed, v2.sealed)
  const s = await status(c, ref)
  t.equal(s?.specHash, a2!.value.specHash, 'the status shows the new hash')

  await putConfig(c, 2, 'port = 9090\n')
  const [a3] = await wait(async () => { const a = await assignments(c, ref); return a[0]?.value.configs?.['app-config']?.version === 2 && a }, 'config version 2 assigned')
  t.not(a3!.value.specHash, a2!.value.specHash, 'a new config version rolls too')
})
