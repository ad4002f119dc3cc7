import { Writable } from 'node:stream'
import { pino, type Logger } from 'pino'
import t from 'tap'
import { containerSpec, KeyLayout, specHash, validateManifest } from '../schemas/index.js'
import { AssignmentBook } from './assignment-book.js'

const keys = new KeyLayout('/b')
const v = validateManifest({ image: 'dokkaa/busybox:test' })
if (!v.ok) throw new Error('fixture')
const spec = containerSpec(v.manifest)
const good = JSON.stringify({ spec, specHash: specHash(spec), revision: 1 })
const bad = JSON.stringify({ spec: { ...spec, image: '../../etc/passwd' }, specHash: 'abc', revision: 1 })

function book(): { book: AssignmentBook; lines: { msg: string }[] } {
  const lines: { msg: string }[] = []
  const sink = new Writable({ write(chunk, _e, done) { lines.push(JSON.parse(chunk.toString())); done() } })
  return { book: new AssignmentBook(keys, 'h1', pino(sink) as Logger), lines }
}

t.test('watch events: ours acted on, refused ones kept apart, junk keys logged once', async t => {
  const { book: b, lines } = book()
  t.same(b.onKey('/b/assign/h1/app/web/0', good), { app: 'app', name: 'web', index: 0 })
  t.same(b.onKey('/b/assign/h1/app/web/1', bad), { app: 'app', name: 'web', index: 1 })
  t.equal(b.onKey('/b/assign/h2/app/web/0', good), undefined, 'another host\'s')
  t.equal(b.onKey('/b/assign/h1/VICTIM/web/0', good), undefined)
  t.equal(b.onKey('/b/assign/h1/VICTIM/web/0', good), undefined)
  const { desired, rejected } = b.of('app', 'web')
  t.same(desired.map(d => d.ref.index), [0])
  t.match(rejected, [{ ref: { index: 1 }, reason: /^assignment rejected: spec\/image:/ }])
  t.same([...b.manifests()], ['app/web'])
  t.same(lines.map(l => l.msg), ['assignment rejected; its instance is recorded failed', 'ignoring an assignment key that names no valid app, name and index'])
  b.onKey('/b/assign/h1/app/web/1', bad)
  t.equal(lines.length, 2, 'an unchanged value is not read (or logged) again')
  b.onKey('/b/assign/h1/app/web/1', good)
  t.same(b.of('app', 'web').desired.map(d => d.ref.index), [0, 1], 'fixed: acted on')
  b.onKey('/b/assign/h1/app/web/0', undefined)
  t.same(b.of('app', 'web').desired.map(d => d.ref.index), [1], 'deleted')
})

t.test('a full read replaces everything', async t => {
  const { book: b } = book()
  b.onKey('/b/assign/h1/app/web/0', good)
  b.onKey('/b/assign/h1/app/old/0', bad)
  b.replaceAll([{ key: '/b/assign/h1/app/web/1', value: good }, { key: '/b/assign/h1/a--b/web/1', value: good }])
  t.same([...b.manifests()], ['app/web'])
  t.same(b.of('app', 'web').desired.map(d => d.ref.index), [1])
  t.equal(b.size, 1)
})
