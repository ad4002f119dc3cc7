// The helpers every integration test leans on, checked against the real etcd and
// Docker of the bed — a failure here means the bed is broken, not the code under test.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Etcd3 } from 'etcd3'
import { testEtcd, etcdHosts } from './etcd.js'
import { testDocker, listByLabel, removeContainersByLabel, containerAddress, containerLogs } from './docker.js'
import { waitFor, WaitForTimeoutError, StopWaiting } from './wait-for.js'
import { startProcess, startTsProcess } from './processes.js'
import {
  TEST_IMAGE,
  TEST_IMAGE_V2,
  TEST_IMAGE_PORT,
  TEST_REGISTRY,
  PULL_IMAGE,
  INDEX_TEXT,
  INDEX_TEXT_V2,
  hostText,
} from './images.js'

const get = async (url: string): Promise<string> => {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) })
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`)
  return res.text()
}

t.test('waitFor', async t => {
  t.test('returns the first truthy value', async t => {
    let n = 0
    const value = await waitFor(() => (++n >= 3 ? { n } : null), { intervalMs: 5 })
    t.same(value, { n: 3 })
  })

  t.test('awaits promises and treats a throw as a miss', async t => {
    let n = 0
    const value = await waitFor(
      async () => {
        if (++n < 3) throw new Error('not yet')
        return 'ok'
      },
      { intervalMs: 5 },
    )
    t.equal(value, 'ok')
  })

  t.test('times out naming what it waited for and the last value', async t => {
    const err = await waitFor(() => 0, { timeoutMs: 100, intervalMs: 10, what: 'the answer' }).then(
      () => undefined,
      (e: unknown) => e,
    )
    t.type(err, WaitForTimeoutError)
    t.match((err as Error).message, /waiting for the answer; last value: 0/)
    t.ok((err as WaitForTimeoutError).attempts > 1)
  })

  t.test('StopWaiting ends the wait at once', async t => {
    let n = 0
    const started = Date.now()
    await t.rejects(
      waitFor(
        () => {
          n++
          throw new StopWaiting('it exited')
        },
        { timeoutMs: 5000 },
      ),
      { name: 'StopWaiting', message: 'it exited' },
    )
    t.equal(n, 1)
    t.ok(Date.now() - started < 1000)
  })

  t.test('times out reporting the last error', async t => {
    await t.rejects(
      waitFor(
        () => {
          throw new Error('no such container')
        },
        { timeoutMs: 50, intervalMs: 10, what: 'a container' },
      ),
      { name: 'WaitForTimeoutError', message: /a container; last attempt threw: no such container/ },
    )
  })
})

t.test('testEtcd gives each test its own prefix and cleans it up', async t => {
  const a = testEtcd()
  const b = testEtcd(t)
  t.match(a.prefix, /^\/t-[0-9a-f]{10}$/)
  t.not(a.prefix, b.prefix)

  await a.ns.put('apps/dummy/nginx/manifest').value('{"image":"x"}')
  t.equal(await a.client.get(`${a.prefix}/apps/dummy/nginx/manifest`).string(), '{"image":"x"}')
  t.equal(await b.ns.get('apps/dummy/nginx/manifest').string(), null, 'b does not see a')
  t.same(await a.ns.getAll().prefix('apps/').keys(), ['apps/dummy/nginx/manifest'])

  await a.cleanup()
  await a.cleanup() // twice is fine
  const other = new Etcd3({ hosts: etcdHosts() })
  t.teardown(() => other.close())
  t.equal(await other.getAll().prefix(`${a.prefix}/`).count(), 0, 'cleanup removed the prefix')
})

t.test('docker helpers against the bed engine', async t => {
  const docker = testDocker()
  const label = 'dokkaa-test.support'
  const run = randomBytes(5).toString('hex')
  t.teardown(() => removeContainersByLabel(label, run))

  const web = await docker.createContainer({ Image: TEST_IMAGE, Labels: { [label]: run } })
  await web.start()
  const talker = await docker.createContainer({
    Image: TEST_IMAGE,
    Cmd: ['sh', '-c', 'echo to-stdout; echo to-stderr >&2'],
    Labels: { [label]: run },
  })
  await talker.start()

  const found = await listByLabel(label, run)
  t.same(found.map(c => c.Id).sort(), [web.id, talker.id].sort(), 'listByLabel finds both, running or not')
  t.equal((await listByLabel(label, 'no-such-value')).length, 0)

  const ip = await containerAddress(web.id)
  t.match(ip, /^\d+\.\d+\.\d+\.\d+$/)
  const page = await waitFor(() => get(`http://${ip}:${TEST_IMAGE_PORT}/`), { what: `${TEST_IMAGE} answering at ${ip}` })
  t.equal(page.trim(), INDEX_TEXT)
  const hostname = (await web.inspect()).Config.Hostname
  t.equal((await get(`http://${ip}:${TEST_IMAGE_PORT}/host.txt`)).trim(), hostText(hostname))

  await waitFor(async () => (await talker.inspect()).State.Status === 'exited', { what: 'talker exited' })
  const logs = await containerLogs(talker.id)
  t.match(logs, /to-stdout/)
  t.match(logs, /to-stderr/)

  t.equal(await removeContainersByLabel(label, run), 2)
  t.same(await listByLabel(label, run), [])
  t.equal(await removeContainersByLabel(label, run), 0, 'nothing left to remove')
})

t.test('the bed images exist', async t => {
  const docker = testDocker()
  const v1 = await docker.getImage(TEST_IMAGE).inspect()
  const v2 = await docker.getImage(TEST_IMAGE_V2).inspect()
  t.not(v1.Id, v2.Id, `${TEST_IMAGE} and ${TEST_IMAGE_V2} differ`)
  t.same(Object.keys(v1.Config.ExposedPorts ?? {}), [`${TEST_IMAGE_PORT}/tcp`])
  t.ok(INDEX_TEXT_V2.startsWith(INDEX_TEXT))
  // The pull copy lives in the registry only; read its tag list, leave local state alone
  // (other test files may be pulling it right now).
  const tags = JSON.parse(await get(`http://${TEST_REGISTRY}/v2/dokkaa/busybox/tags/list`)) as { tags: string[] }
  t.ok(tags.tags.includes(PULL_IMAGE.split(':').pop()!), `${PULL_IMAGE} is in the registry`)
})

t.test('startProcess captures lines and stops exactly its pid', async t => {
  const script = `
    console.log('ready ' + process.env.SUPPORT_GREETING + ' ' + (process.env.SUPPORT_GONE ?? 'unset'));
    console.error('on stderr');
    process.on('SIGTERM', () => { console.log('got SIGTERM'); process.exit(3) });
    setInterval(() => {}, 1000);
  `
  process.env.SUPPORT_GONE = 'still here'
  t.teardown(() => {
    delete process.env.SUPPORT_GONE
  })
  const p = startProcess(process.execPath, ['-e', script], { SUPPORT_GREETING: 'hello', SUPPORT_GONE: undefined }, { t })
  t.equal(await p.waitForLine(/^ready/), 'ready hello unset')
  await p.waitForLine('on stderr')
  t.same(p.stderr, ['on stderr'])
  const exit = await p.stop()
  t.same(exit, { code: 3, signal: null })
  t.ok(p.lines.includes('got SIGTERM'), p.output())
  t.throws(() => process.kill(p.pid, 0), { code: 'ESRCH' }, 'the pid is gone')
  t.same(await p.stop(), exit, 'stopping again just reports the exit')
})

t.test('stop escalates to SIGKILL', async t => {
  const p = startProcess(process.execPath, [
    '-e',
    "process.on('SIGTERM', () => console.log('ignoring')); console.log('up'); setInterval(() => {}, 1000)",
  ])
  await p.waitForLine('up')
  t.same(await p.stop('SIGTERM', 300), { code: null, signal: 'SIGKILL' })
})

t.test('waitForLine fails fast when the process exits first', async t => {
  const p = startProcess(process.execPath, ['-e', "console.log('bye'); process.exit(1)"])
  const started = Date.now()
  await t.rejects(p.waitForLine('never', { timeoutMs: 5000 }), /exited .*"code":1[\s\S]*--- output[\s\S]*bye/)
  t.ok(Date.now() - started < 2000, 'did not wait for the timeout')
})

t.test('startTsProcess runs TypeScript through tsx', async t => {
  const dir = t.testdir({})
  const script = join(dir, 'hello.ts')
  writeFileSync(
    script,
    "const answer: number = 6 * 7\nconsole.log(`ts says ${answer} ${process.env.SUPPORT_TS} ${process.argv.slice(2).join(',')}`)\n",
  )
  const p = startTsProcess(script, ['a', 'b'], { SUPPORT_TS: 'yes' })
  const exit = await p.exited
  t.same(exit, { code: 0, signal: null }, p.output())
  t.same(p.stdout, ['ts says 42 yes a,b'])
})
