// Images: pulled from the local registry when absent (progress in the logs); an image
// that cannot be pulled marks its instance failed with the reason, and other
// instances are unaffected.
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { TEST_IMAGE, TEST_REGISTRY } from '../../test/support/images.js'
import { waitFor } from '../../test/support/wait-for.js'
import { bed, LONG } from './harness.js'

/** Pushes TEST_IMAGE under a tag of its own, then drops the local tag: only a pull can bring it back. */
async function registryOnlyImage(b: ReturnType<typeof bed>): Promise<string> {
  const tag = `conductor-${randomBytes(4).toString('hex')}`
  const repo = `${TEST_REGISTRY}/dokkaa/busybox`
  await b.docker.getImage(TEST_IMAGE).tag({ repo, tag })
  const stream = await b.docker.getImage(`${repo}:${tag}`).push({ authconfig: { serveraddress: TEST_REGISTRY } })
  await new Promise<void>((resolve, reject) => b.docker.modem.followProgress(stream, (err: Error | null, out: { error?: string }[]) => {
    const inStream = out?.find(o => o.error)?.error
    if (err || inStream) reject(err ?? new Error(inStream))
    else resolve()
  }))
  await b.docker.getImage(`${repo}:${tag}`).remove()
  return `${repo}:${tag}`
}

t.test('pull path, and an unpullable image fails only its own instance', async t => {
  const b = bed(t)
  const image = await registryOnlyImage(b)
  t.teardown(() => b.docker.getImage(image).remove().catch(() => {}))
  const conductor = b.start()
  const bad = `${TEST_REGISTRY}/dokkaa/no-such-image:nope`
  await b.assign({ app: b.app, name: 'broken', index: 0 }, { image: bad })
  await b.assign({ app: b.app, name: 'pulled', index: 0 }, { image, services: { web: 80 } })
  await b.assign({ app: b.app, name: 'local', index: 0 }, { image: TEST_IMAGE })

  const c = await b.running(0, 'pulled')
  t.equal(c.Image, image, 'runs the image pulled from the registry')
  await b.running(0, 'local')
  t.match(conductor.output(), /"image":"[^"]+conductor-[0-9a-f]+".*"msg":"pull progress"/, 'pull progress logged')

  const failed = await waitFor(async () => {
    const r = await b.record({ app: b.app, name: 'broken', index: 0 })
    return r?.state === 'failed' ? r : undefined
  }, { ...LONG, what: 'broken instance recorded as failed' })
  t.match(failed.error, `cannot pull image ${bad}`)
  t.equal(failed.containerId, '')
  t.equal((await b.record({ app: b.app, name: 'local', index: 0 }))?.state, 'running', 'other instances fine')
})
