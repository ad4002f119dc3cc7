import { pino } from 'pino'
import t from 'tap'
import { GracefulSteps, type GracefulDeps } from './graceful-steps.js'
import type { GracefulStep } from './model.js'

const log = pino({ level: 'silent' })
const ref = { app: 'a', name: 'web', index: 0 }
const retire: GracefulStep = { kind: 'retire', ref, containerId: 'c1', reason: 'unassigned' }

function gate() {
  let open!: () => void
  const p = new Promise<void>(r => { open = r })
  return { p, open }
}

function steps(over: Partial<GracefulDeps> = {}) {
  const events: string[] = []
  const g: GracefulSteps = new GracefulSteps({
    drainMs: 1,
    withdraw: async mk => { events.push(`withdraw ${mk} (in flight: ${g.inFlight('c1')})`) },
    act: async (step, graceMs) => { events.push(`${step.kind} grace ${graceMs}`) },
    unwatch: id => events.push(`unwatch ${id}`),
    ...over,
  })
  return { g, events }
}

t.test('withdraw, drain, unwatch, then Docker; in flight until it ends, then finished', async t => {
  const { g, events } = steps()
  let finished: string | undefined
  g.begin(retire, { drain: true, graceMs: 3000, log, finished: (err, n) => { finished = `${err?.message ?? 'ok'} ${n} in flight: ${g.inFlight('c1')}` } })
  t.equal(g.inFlight('c1'), 'retire', 'in flight at once')
  g.begin(retire, { drain: true, log, finished: () => events.push('a second one') })
  await g.idle()
  t.same(events, ['withdraw a/web (in flight: retire)', 'unwatch c1', 'retire grace 3000'])
  t.equal(finished, 'ok 0 in flight: undefined', 'finished once no longer in flight')
})

t.test('a withdrawal etcd does not answer: the stop goes ahead', async t => {
  const never = new Promise<void>(() => {})
  const { g, events } = steps({ withdraw: () => never, withdrawTimeoutMs: 5 })
  g.begin({ kind: 'stop', ref, containerId: 'c1' }, { drain: false, log, finished: () => {} })
  await g.idle()
  t.same(events, ['unwatch c1', 'stop grace undefined'])
})

t.test('shutting down mid-drain stops nothing and reports nothing', async t => {
  const withdrawn = gate()
  const { g, events } = steps({ drainMs: 60_000, withdraw: async () => { withdrawn.open() } })
  let reported = false
  g.begin(retire, { drain: true, log, finished: () => { reported = true } })
  await withdrawn.p
  g.close()
  await g.idle()
  t.same(events, [], 'not unwatched, not stopped')
  t.equal(reported, false)
  g.begin(retire, { drain: false, log, finished: () => { reported = true } })
  t.equal(g.inFlight('c1'), undefined, 'nothing starts once closed')
})

t.test('a failing Docker step is reported with its count in a row; a success resets it', async t => {
  let fail = true
  const { g } = steps({ act: async () => { if (fail) throw new Error('engine away') } })
  const seen: string[] = []
  const finished = (err: Error | undefined, n: number) => seen.push(`${err?.message ?? 'ok'} ${n}`)
  for (const last of [false, false, true]) {
    if (last) fail = false
    g.begin({ kind: 'restart', ref, containerId: 'c1', generation: 0, reason: 'unhealthy' }, { drain: false, log, finished })
    await g.idle()
  }
  t.same(seen, ['engine away 1', 'engine away 2', 'ok 0'])
})
