// Graceful stops with a real conductor and Docker: a container going away is first
// withdrawn from SkyDNS, then (after the drain delay) sent its stop signal; one that
// handles it exits by itself, one that ignores it is killed only after its
// stopGracePeriod. What is checked is what a user sees: the container's own output,
// Docker's events (which signals, which exit code) and the SkyDNS record in etcd.
import t, { type Test } from 'tap'
import type { Manifest } from '../../schemas/index.js'
import { skydnsLeaf } from '../../schemas/index.js'
import { TEST_IMAGE } from '../../test/support/images.js'
import { waitFor } from '../../test/support/wait-for.js'
import { bed, followOutput, LONG, stopOf, watchDockerEvents } from './harness.js'

process.env.DOCKER_API_VERSION ??= '1.41'
const b = bed(t)
const ref = (index: number, name = 'web') => ({ app: b.app, name, index })

/** Serves /www (httpd in the background) and says which signal it got. */
function trapping(trap: string, extra: Partial<Manifest> = {}): Manifest {
  return { image: TEST_IMAGE, services: { web: 80 }, command: `${trap}; httpd -p 80 -h /www; echo serving; while true; do sleep 0.2; done`, ...extra }
}

t.before(async () => {
  // A drain long enough that the order "withdrawn, then signalled" is plain in the events.
  b.start(['--drain-delay', '1s'])
})

/** Unassigns (or applies `act`) and waits until the container is gone (or exited). */
async function stopping(t: Test, index: number, name: string, act: () => Promise<unknown>, until: 'gone' | 'exited' = 'gone') {
  const c = await b.running(index, name)
  const dnsKey = b.keys.skydns(b.app, 'web', skydnsLeaf(ref(index, name)))
  await waitFor(() => b.etcd.client.get(dnsKey).string(), { ...LONG, what: 'its SkyDNS record' })
  const events = await watchDockerEvents(t, b.docker, b.hostId)
  const output = await followOutput(t, b.docker, c.Id)
  await waitFor(() => output.text().includes('serving'), { ...LONG, what: 'it serves' })
  // What SkyDNS said at the moment Docker sent the first signal.
  let dnsAtSignal: Promise<string | null> | undefined
  events.onEvent(e => { if (e.id === c.Id && e.action === 'kill') dnsAtSignal ??= b.etcd.client.get(dnsKey).string() })
  await act()
  await waitFor(async () => {
    const mine = (await b.containers()).filter(x => x.Id === c.Id)
    return until === 'gone' ? mine.length === 0 : mine[0]?.State === 'exited'
  }, { ...LONG, what: `container ${until}` })
  await waitFor(() => events.of(c.Id).some(e => e.action === 'die'), { ...LONG, what: 'its die event' })
  return { id: c.Id, output: output.text(), stop: stopOf(events, c.Id), dnsAtSignal: await dnsAtSignal, events }
}

t.test('scale-down: withdrawn from SkyDNS first, then SIGTERM, which it handles: exit 0, removed', async t => {
  await b.assign(ref(0), trapping(`trap 'echo got TERM; exit 0' TERM`))
  const s = await stopping(t, 0, 'web', () => b.unassign(ref(0)))
  t.match(s.output, /got TERM/, 'the container logged the SIGTERM it got')
  t.same(s.stop.signals, ['15'], 'Docker sent SIGTERM and nothing else')
  t.equal(s.stop.exitCode, 0, 'it exited by itself')
  t.equal(s.dnsAtSignal, null, 'its SkyDNS record was gone before the signal')
})

t.test('ignoring SIGTERM: killed after its stopGracePeriod (exit code 137)', async t => {
  await b.assign(ref(1), trapping(`trap 'echo ignoring TERM' TERM`, { stopGracePeriod: '2s' }))
  const c = await b.running(1, 'web')
  t.equal(((await b.docker.getContainer(c.Id).inspect()).Config as { StopTimeout?: number }).StopTimeout, 2, 'the grace period is the container\'s too')
  const s = await stopping(t, 1, 'web', () => b.unassign(ref(1)))
  t.match(s.output, /ignoring TERM/, 'it got SIGTERM first')
  t.same(s.stop.signals, ['15', '9'], 'SIGTERM, then SIGKILL once the grace period was over')
  t.equal(s.stop.exitCode, 137)
})

t.test('the stop run state: the manifest\'s stopSignal; the container stays, stopped', async t => {
  const m = trapping(`trap 'echo got QUIT; exit 0' QUIT`, { stopSignal: 'SIGQUIT' })
  await b.assign(ref(0, 'quit'), m)
  const s = await stopping(t, 0, 'quit', () => b.assign(ref(0, 'quit'), m, { run: 'stopped' }), 'exited')
  t.match(s.output, /got QUIT/)
  t.same(s.stop.signals, ['3'], 'SIGQUIT, the stop signal it asked for')
  t.equal(s.stop.exitCode, 0)
  await waitFor(async () => (await b.record(ref(0, 'quit')))?.state === 'stopped', { ...LONG, what: 'record says stopped' })
  t.equal((await b.containers()).filter(c => c.Id === s.id).length, 1, 'the container is kept')
  await b.unassign(ref(0, 'quit'))
})
