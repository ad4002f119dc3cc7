import t from 'tap'
import { PullProgress } from './pull-progress.js'

t.test('layers and bytes add up as Docker reports them', async t => {
  const p = new PullProgress()
  t.equal(p.summary(), 'starting')
  t.equal(p.take({ status: 'Pulling from dokkaa/app', id: 'v2' }), false, 'an image-wide line names no layer')
  t.ok(p.take({ status: 'Pulling fs layer', id: 'a' }))
  p.take({ status: 'Pulling fs layer', id: 'b' })
  t.equal(p.summary(), '0 of 2 layers')
  p.take({ status: 'Downloading', id: 'a', current: 1_000_000, total: 4_000_000 })
  t.equal(p.summary(), '0 of 2 layers, 1.0 of 4.0 MB')
  p.take({ status: 'Downloading', id: 'b', current: 500_000, total: 1_000_000 })
  t.equal(p.summary(), '0 of 2 layers, 1.5 of 5.0 MB')
  p.take({ status: 'Download complete', id: 'a' })
  p.take({ status: 'Pull complete', id: 'a' })
  t.equal(p.summary(), '1 of 2 layers, 4.5 of 5.0 MB')
  t.equal(p.take({ status: 'Pull complete', id: 'a' }), false, 'the same news twice changes nothing')
  p.take({ status: 'Already exists', id: 'c' })
  t.equal(p.summary(), '2 of 3 layers, 4.5 of 5.0 MB', 'a layer already here counts as done, without bytes')
})

t.test('junk numbers are ignored, never shown', async t => {
  const p = new PullProgress()
  p.take({ status: 'Downloading', id: 'a', current: -5, total: -1 })
  t.equal(p.summary(), '0 of 1 layers')
  p.take({ status: 'Downloading', id: 'a', current: Number.NaN, total: 0 })
  t.equal(p.summary(), '0 of 1 layers')
  t.equal(p.take({ status: 'Downloading', current: 10, total: 20 }), false, 'a line without a layer id')
})
