import t from 'tap'
import fc from 'fast-check'
import { afterCheck, changed, FIRST_VERDICT, fromDocker, type VerdictState } from './health-verdict.js'

const rules = { retries: 3, startPeriodMs: 10_000, startedAt: 1000 }

t.test('first success: healthy from then on; retries failures in a row: unhealthy', async t => {
  let s = afterCheck(FIRST_VERDICT, 'connect ECONNREFUSED', 12_000, rules)
  t.match(s, { status: 'starting', failures: 1, error: 'connect ECONNREFUSED' })
  s = afterCheck(s, undefined, 13_000, rules)
  t.same(s, { status: 'healthy', failures: 0, healthySince: 13_000 })
  s = afterCheck(s, 'GET /healthz: 503', 14_000, rules)
  t.match(s, { status: 'healthy', failures: 1, healthySince: 13_000 })
  s = afterCheck(s, 'GET /healthz: 503', 15_000, rules)
  s = afterCheck(s, 'GET /healthz: 503', 16_000, rules)
  t.same(s, { status: 'unhealthy', failures: 3, error: 'GET /healthz: 503', unhealthySince: 16_000 })
  s = afterCheck(s, 'GET /healthz: 503', 16_500, rules)
  t.equal(s.unhealthySince, 16_000, 'unhealthy since the verdict, not since the last failure')
  s = afterCheck(s, undefined, 17_000, rules)
  t.same(s, { status: 'healthy', failures: 0, healthySince: 17_000 })
})

t.test('failures in the start period do not count; after it they do', async t => {
  let s = FIRST_VERDICT
  for (let at = 1000; at < 11_000; at += 1000) s = afterCheck(s, 'refused', at, rules)
  t.match(s, { status: 'starting', failures: 0, error: 'refused' })
  for (const at of [11_000, 12_000, 13_000]) s = afterCheck(s, 'refused', at, rules)
  t.equal(s.status, 'unhealthy')
})

t.test('property: never unhealthy without `retries` counted failures in a row; healthySince only while healthy', async t => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 2000 })), { maxLength: 60 }), fc.integer({ min: 1, max: 5 }), (steps, retries) => {
    const r = { retries, startPeriodMs: 3000, startedAt: 0 }
    let s: VerdictState = FIRST_VERDICT
    let now = 0
    let run = 0
    for (const [ok, dt] of steps) {
      now += dt
      s = afterCheck(s, ok ? undefined : 'x', now, r)
      run = ok ? 0 : run + 1
      if (s.status === 'unhealthy' && run < retries) return false
      if ((s.status === 'healthy') !== (s.healthySince !== undefined)) return false
      if (ok && s.status !== 'healthy') return false
    }
    return true
  }))
  t.pass()
})

t.test('Docker\'s verdict is taken as it is; only real changes are news', async t => {
  const s = fromDocker(FIRST_VERDICT, 'unhealthy', 'pg_isready: no response', 5)
  t.match(s, { status: 'unhealthy', error: 'pg_isready: no response' })
  const h = fromDocker(s, 'healthy', undefined, 9)
  t.same(h, { status: 'healthy', failures: 0, healthySince: 9 })
  t.notOk(changed(h, fromDocker(h, 'healthy', undefined, 20)), 'healthy again is no news')
  t.ok(changed(FIRST_VERDICT, { ...FIRST_VERDICT, error: 'refused' }), 'a new reason while starting is')
})
