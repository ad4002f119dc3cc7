import fc from 'fast-check'
import t from 'tap'
import type { HealthState } from '../schemas/index.js'
import { LABELS } from '../schemas/index.js'
import type { ContainerDetail } from './docker-engine.js'
import type { HealthVerdict } from './health/health-monitor.js'
import { instanceViews, type ViewFacts } from './instance-view.js'
import type { ContainerState } from './model.js'

function container(id: string, o: { index?: number; state?: ContainerState; createdAt?: number; spec?: string } = {}): ContainerDetail {
  return {
    id, name: id, state: o.state ?? 'running', createdAt: o.createdAt ?? 1, hostPorts: {}, networkMode: 'bridge',
    labels: { [LABELS.app]: 'a', [LABELS.name]: 'web', [LABELS.instance]: String(o.index ?? 0), [LABELS.spec]: o.spec ?? 'old' },
  }
}

function facts(o: { want?: string; health?: Record<string, HealthState>; withdrawn?: string[] } = {}): ViewFacts {
  return {
    specHash: () => o.want,
    health: id => (o.health?.[id] ? { state: o.health[id] } satisfies HealthVerdict : undefined),
    withdrawn: id => o.withdrawn?.includes(id) ?? false,
  }
}

t.test('start-first: the record tells of the new container while the old one serves until the new one is healthy', async t => {
  const old = container('old', { createdAt: 1 })
  const fresh = container('new', { createdAt: 2, spec: 'new' })
  const starting = instanceViews([old, fresh], facts({ want: 'new', health: { old: 'healthy', new: 'starting' } })).get('a/web/0')!
  t.equal(starting.record?.id, 'new', 'the record is the new one')
  t.equal(starting.current, true)
  t.same(starting.health, { state: 'starting' }, 'with its health')
  t.equal(starting.serving?.id, 'old', 'the old one serves')
  const ready = instanceViews([old, fresh], facts({ want: 'new', health: { old: 'healthy', new: 'healthy' } })).get('a/web/0')!
  t.equal(ready.serving?.id, 'new', 'once healthy, the new one serves')
  const sick = instanceViews([old, fresh], facts({ want: 'new', health: { old: 'healthy', new: 'unhealthy' } })).get('a/web/0')!
  t.equal(sick.serving?.id, 'old', 'a new one that fails leaves the old one serving')
})

t.test('a withdrawn or unhealthy container serves no more; without a check, running is ready', async t => {
  const c = container('c')
  t.equal(instanceViews([c], facts()).get('a/web/0')?.serving?.id, 'c')
  t.equal(instanceViews([c], facts({ withdrawn: ['c'] })).get('a/web/0')?.serving, undefined)
  t.equal(instanceViews([c], facts({ health: { c: 'unhealthy' } })).get('a/web/0')?.serving, undefined)
  t.equal(instanceViews([container('p', { state: 'paused' })], facts()).get('a/web/0')?.serving, undefined)
  t.equal(instanceViews([c], facts({ withdrawn: ['c'] })).get('a/web/0')?.record?.id, 'c', 'its record stays until it is gone')
})

const STATES: ContainerState[] = ['created', 'running', 'paused', 'restarting', 'exited', 'dead']
const HEALTH = [undefined, 'starting', 'healthy', 'unhealthy'] as const

t.test('property: one record per instance, on the assigned spec when one is; whatever serves is ready', async t => {
  const arb = fc.array(fc.record({
    index: fc.integer({ min: 0, max: 3 }), state: fc.constantFrom(...STATES), createdAt: fc.integer({ min: 0, max: 1e12 }),
    spec: fc.constantFrom('old', 'new'), health: fc.constantFrom(...HEALTH), withdrawn: fc.boolean(),
  }))
  fc.assert(fc.property(arb, cs => {
    const details = cs.map((c, i) => container(`c${i}`, c))
    const byId = new Map(cs.map((c, i) => [`c${i}`, c]))
    const views = instanceViews(details, {
      specHash: () => 'new',
      health: id => { const h = byId.get(id)!.health; return h ? { state: h } : undefined },
      withdrawn: id => byId.get(id)!.withdrawn,
    })
    for (const index of new Set(cs.map(c => c.index))) {
      const mine = details.filter(c => c.labels[LABELS.instance] === String(index))
      const v = views.get(`a/web/${index}`)
      if (!v?.record || !mine.includes(v.record)) return false
      const live = mine.filter(c => !byId.get(c.id)!.withdrawn)
      if (live.some(c => c.labels[LABELS.spec] === 'new') && (v.record.labels[LABELS.spec] !== 'new' || byId.get(v.record.id)!.withdrawn)) return false
      if (v.serving) {
        const s = byId.get(v.serving.id)!
        if (v.serving.state !== 'running' || s.withdrawn || (s.health !== undefined && s.health !== 'healthy')) return false
      } else if (mine.some(c => { const s = byId.get(c.id)!; return c.state === 'running' && !s.withdrawn && (s.health === undefined || s.health === 'healthy') })) {
        return false
      }
    }
    return views.size === new Set(cs.map(c => c.index)).size
  }))
  t.pass()
})
