// Hostile input through the one validator every entry point uses: whatever arrives —
// any JSON value, a valid manifest with any field swapped for junk, text cut or
// spliced anywhere, nesting thousands deep — validation returns a structured result
// (ok, or errors each with a JSON path and a message) and never throws or overflows.
import t from 'tap'
import fc from 'fast-check'
import { parseManifest, validateManifest, type ValidationResult } from './validate-manifest.js'
import { DEFAULT_LIMITS } from './limits.js'

const FIELDS = ['image', 'scale', 'command', 'env', 'services', 'links', 'resources', 'restart', 'hostname', 'dns',
  'extraHosts', 'labels', 'constraints', 'dockerflags', '__proto__', 'constructor', 'toString', '']
const VALID = {
  image: '127.0.0.1:5000/dokkaa/busybox:pull', scale: 2, command: ['sh', '-c', 'httpd -f'], env: { A: '1' },
  services: { web: { port: 80, role: 'web' } }, links: ['db'], resources: { memory: '64m', cpus: 0.5 },
  restart: 'always', hostname: 'box', dns: ['10.0.0.1'], extraHosts: ['db:10.0.0.5'], labels: { team: 'a' },
  constraints: { zone: 'a' }, dockerflags: { User: 'nobody', Ulimits: [{ Name: 'nofile', Soft: 1, Hard: 2 }] },
}

function wellFormed(r: ValidationResult): boolean {
  if (r.ok) return typeof r.manifest === 'object' && typeof r.manifest.image === 'string' && Number.isInteger(r.manifest.scale)
  return r.errors.length > 0 && r.errors.every(e => typeof e.path === 'string' && typeof e.message === 'string' && e.message.length > 0)
}

const junk = fc.anything({ maxDepth: 6, withBigInt: false, withMap: false, withSet: false, withTypedArray: false, withSparseArray: true, withNullPrototype: true, withObjectString: true, withBoxedValues: false })
const mutated = fc.record({ field: fc.constantFrom(...FIELDS), value: junk, drop: fc.constantFrom(...FIELDS) })
  .map(({ field, value, drop }) => {
    const m: Record<string, unknown> = { ...VALID }
    delete m[drop]
    Object.defineProperty(m, field, { value, enumerable: true, configurable: true, writable: true })
    return m
  })
const nested = fc.record({ depth: fc.integer({ min: 1, max: 20_000 }), open: fc.constantFrom('[', '{"a":'), field: fc.constantFrom(...FIELDS) })
  .map(({ depth, open, field }) => {
    const close = open === '[' ? ']' : '}'
    return `{"image": "x", ${JSON.stringify(field)}: ${open.repeat(depth)}1${close.repeat(depth)}}`
  })
const spliced = fc.record({ at: fc.nat(), cut: fc.nat({ max: 40 }), insert: fc.string({ unit: 'binary', maxLength: 40 }) })
  .map(({ at, cut, insert }) => {
    const text = JSON.stringify(VALID)
    const i = at % (text.length + 1)
    return text.slice(0, i) + insert + text.slice(i + cut)
  })

let runs = 0
t.test('any parsed value: a structured result, never a throw', async t => {
  fc.assert(fc.property(fc.oneof(junk, mutated), doc => { runs++; return wellFormed(validateManifest(doc)) }), { numRuns: 5000 })
  t.pass('5,000 values')
})

t.test('any text: a structured result, never a throw', async t => {
  fc.assert(fc.property(fc.oneof(fc.json({ maxDepth: 8 }), spliced, nested, fc.string({ unit: 'binary' })), text => { runs++; return wellFormed(parseManifest(text)) }), { numRuns: 5000 })
  t.pass('5,000 texts')
})

t.test('the worst cases, spelled out', async t => {
  const deep = `{"image":"x","env":${'['.repeat(5000)}${']'.repeat(5000)}}`
  const r = parseManifest(deep)
  t.same(r, { ok: false, errors: [{ path: '', message: `the manifest nests deeper than ${DEFAULT_LIMITS.depth} levels (limits.depth)` }] })
  let v: unknown = 1
  for (let i = 0; i < 50_000; i++) v = { a: v }
  t.match(validateManifest({ image: 'x', labels: v }), { ok: false, errors: [{ message: /nests deeper/ }] }, 'a parsed 50,000-level object too')
  t.match(parseManifest(JSON.stringify({ image: 'x', env: { A: 'y'.repeat(70_000) } })), { ok: false, errors: [{ message: /limits\.bytes/ }] })
  t.match(validateManifest({ image: '../../127.0.0.1:9/x' }), { ok: false, errors: [{ path: '/image' }] })
  runs += 4
  t.ok(runs >= 10_000, `${runs} manifests validated`)
})
