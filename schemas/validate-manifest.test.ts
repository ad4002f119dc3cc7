import t from 'tap'
import { parseManifest, validateManifest } from './validate-manifest.js'

const errorsOf = (doc: unknown) => {
  const r = validateManifest(doc)
  return r.ok ? [] : r.errors
}

t.test('the seed manifest is valid and normalized', async t => {
  const r = parseManifest('{"image": "nginx", "scale": 1, "services": {"nginx": 80}}')
  t.ok(r.ok)
  if (r.ok) t.same(r.manifest, { image: 'nginx', scale: 1, restart: 'always', services: { nginx: { port: 80 } } })
})

t.test('defaults: scale 1, restart always', async t => {
  const r = validateManifest({ image: 'busybox' })
  t.ok(r.ok)
  if (r.ok) {
    t.equal(r.manifest.scale, 1)
    t.equal(r.manifest.restart, 'always')
    t.same(r.manifest.services, {})
  }
})

t.test('the input object is not modified', async t => {
  const doc = { image: 'x' }
  validateManifest(doc)
  t.same(doc, { image: 'x' })
})

t.test('every field in its accepted forms', async t => {
  const r = validateManifest({
    image: '127.0.0.1:5000/dokkaa/busybox:pull', scale: 3, command: ['sh', '-c', 'sleep 1'],
    env: { A: 'x', N: 1, B: true }, services: { web: { port: 80, role: 'web' }, dns: { port: 53, protocol: 'udp' } },
    links: ['nginx', 'db.other'], resources: { memory: '512m', cpus: 1.5 }, restart: 'on-failure',
    hostname: 'box', dns: ['10.0.0.1'], extraHosts: ['db:10.0.0.5'], labels: { team: 'a' },
    constraints: { zone: 'a' }, dockerflags: { User: 'nobody', Init: true, StopTimeout: 5 },
  })
  t.same(r.ok ? [] : r.errors, [])
})

const cases: [string, unknown, string, RegExp][] = [
  ['image missing', { scale: 1 }, '/image', /required/],
  ['image empty', { image: '' }, '/image', /Docker image reference/],
  ['negative scale', { image: 'x', scale: -1 }, '/scale', />= 0/],
  ['fractional scale', { image: 'x', scale: 1.5 }, '/scale', /integer/],
  ['unknown field', { image: 'x', sclae: 2 }, '/sclae', /unknown field "sclae"; allowed: image, scale/],
  ['service name not a DNS label', { image: 'x', services: { My_Svc: 80 } }, '/services/My_Svc', /not a DNS label/],
  ['service port out of range', { image: 'x', services: { web: 70000 } }, '/services/web', /port number/],
  ['unknown service field', { image: 'x', services: { web: { port: 80, tsl: 'auto' } } }, '/services/web/tsl', /unknown field "tsl"; allowed: port, protocol, role, tls/],
  ['bad link', { image: 'x', links: ['Nginx!'] }, '/links/0', /service name/],
  ['bad memory', { image: 'x', resources: { memory: 'lots' } }, '/resources/memory', /512m/],
  ['zero cpus', { image: 'x', resources: { cpus: 0 } }, '/resources/cpus', /> 0/],
  ['command of wrong type', { image: 'x', command: 5 }, '/command', /string or a non-empty array/],
  ['restart unknown', { image: 'x', restart: 'sometimes' }, '/restart', /allowed values/],
  ['privileged', { image: 'x', dockerflags: { Privileged: true } }, '/dockerflags/Privileged', /privileged containers are not allowed/],
  ['host mounts', { image: 'x', dockerflags: { Binds: ['/:/host'] } }, '/dockerflags/Binds', /host mounts/],
  ['host network without policy', { image: 'x', dockerflags: { NetworkMode: 'host' } }, '/dockerflags/NetworkMode', /cluster policy/],
  ['unknown dockerflag', { image: 'x', dockerflags: { Foo: 1 } }, '/dockerflags/Foo', /allowed: User/],
  ['reserved label', { image: 'x', labels: { 'io.dokkaa.app': 'y' } }, '/labels/io.dokkaa.app', /reserved prefix/],
  ['bad env name', { image: 'x', env: { '1A': 'x' } }, '/env/1A', /must match/],
  ['bad dns server', { image: 'x', dns: ['resolver'] }, '/dns/0', /ipv4/],
  ['bad extra host', { image: 'x', extraHosts: ['db'] }, '/extraHosts/0', /name:ip/],
  ['not an object', [1, 2], '', /JSON object/],
]

for (const [title, doc, path, message] of cases) {
  t.test(title, async t => {
    const errors = errorsOf(doc)
    t.equal(errors.length, 1, `one error: ${JSON.stringify(errors)}`)
    t.equal(errors[0]?.path, path)
    t.match(errors[0]?.message, message)
  })
}

t.test('several mistakes are all reported', async t => {
  const errors = errorsOf({ scale: -1, foo: 1 })
  t.same(errors.map(e => e.path).sort(), ['/foo', '/image', '/scale'])
})

t.test('invalid JSON names the position', async t => {
  const r = parseManifest('{"image": ')
  t.notOk(r.ok)
  if (!r.ok) t.match(r.errors[0]?.message, /^invalid JSON: /)
})

t.test('host network is allowed when the policy says so', async t => {
  t.ok(validateManifest({ image: 'x', dockerflags: { NetworkMode: 'host' } }, { allowHostNetwork: true }).ok)
})
