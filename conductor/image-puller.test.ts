import t from 'tap'
import { imageToRun } from './image-puller.js'

const D = `sha256:${'f'.repeat(64)}`
const spec = (image: string) => ({ image, restart: 'always' as const, services: {} })

t.test('the image an instance runs: its tag until pinned, then the digest of its repository', async t => {
  t.equal(imageToRun({ spec: spec('r.example:5000/team/app:live') }), 'r.example:5000/team/app:live')
  t.equal(imageToRun({ spec: spec('r.example:5000/team/app:live'), imageDigest: D }), `r.example:5000/team/app@${D}`)
  t.equal(imageToRun({ spec: spec('busybox'), imageDigest: D }), `busybox@${D}`)
  const own = `busybox@sha256:${'0'.repeat(64)}`
  t.equal(imageToRun({ spec: spec(own), imageDigest: D }), own, 'a spec naming a digest runs exactly that')
})
