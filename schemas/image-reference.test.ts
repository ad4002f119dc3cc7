import t from 'tap'
import { isImageReference, parseImageReference } from './image-reference.js'

t.test('references Docker accepts', async t => {
  const cases: [string, object][] = [
    ['nginx', { path: ['nginx'] }],
    ['nginx:1.25', { path: ['nginx'], tag: '1.25' }],
    ['library/nginx:latest', { path: ['library', 'nginx'], tag: 'latest' }],
    ['127.0.0.1:5000/dokkaa/busybox:pull', { registry: '127.0.0.1:5000', path: ['dokkaa', 'busybox'], tag: 'pull' }],
    ['localhost/app', { registry: 'localhost', path: ['app'] }],
    ['registry.example.com/team/my_app.v2__x:v2-rc.1', { registry: 'registry.example.com', path: ['team', 'my_app.v2__x'], tag: 'v2-rc.1' }],
    [`app@sha256:${'a'.repeat(64)}`, { path: ['app'], digest: `sha256:${'a'.repeat(64)}` }],
    [`r.io:443/a/b:t@sha256:${'0'.repeat(64)}`, { registry: 'r.io:443', path: ['a', 'b'], tag: 't', digest: `sha256:${'0'.repeat(64)}` }],
    ['dokkaa/busybox:test', { path: ['dokkaa', 'busybox'], tag: 'test' }],
  ]
  for (const [input, ref] of cases) {
    const r = parseImageReference(input)
    t.same(r, { ok: true, ref }, input)
  }
})

t.test('references that would point Docker elsewhere, or that Docker refuses', async t => {
  const bad: [string, RegExp][] = [
    ['../../etc/passwd', /invalid registry host "\.\."/],
    ['../../127.0.0.1:9/path', /invalid registry host/],
    ['Nginx', /invalid path component "Nginx"/],
    ['nginx:', /invalid tag/],
    ['nginx:-x', /invalid tag/],
    ['a b', /invalid path component/],
    ['', /is empty/],
    ['ex ample.com/x', /invalid/],
    ['http://x.io/a', /invalid/],
    ['x.io:99999/a', /port 99999/],
    ['-bad.io/a', /invalid registry host/],
    ['a//b', /invalid path component ""/],
    ['a/', /invalid path component ""/],
    ['app@sha256:xyz', /invalid digest/],
    [`${'a'.repeat(256)}`, /longer than 255/],
    ['a@b@c', /invalid digest/],
  ]
  for (const [input, why] of bad) {
    const r = parseImageReference(input)
    t.equal(r.ok, false, input)
    if (!r.ok) {
      t.match(r.message, why, input)
      t.match(r.message, /use a Docker image reference like/, 'the message says what would do')
    }
  }
  t.notOk(isImageReference(7))
})
