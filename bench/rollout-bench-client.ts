// The load of the rollout benchmark run as its own process, so it can run inside another
// network namespace (`nsenter --net=... node --import tsx bench/rollout-bench-client.ts`):
// Swarm mode's clients sit on the service's overlay network. Reads its streams and the
// accepted bodies as JSON from argv[2]; writes one JSON line per answer and, every 100 ms,
// the next sequence number; on "stop" (stdin) it waits for the requests in flight, writes
// what each stream sent and {"done": true}, and exits.
import { createInterface } from 'node:readline'
import { startLoad, type StreamSpec } from '../test/deploys/load.js'

const { streams, accepted } = JSON.parse(process.argv[2] ?? '{}') as { streams: StreamSpec[]; accepted: string[] }
const load = startLoad(streams, body => accepted.includes(body))
const write = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`)
let written = 0
const flush = () => {
  for (; written < load.answers.length; written++) write({ answer: load.answers[written] })
  write({ nextSeq: load.nextSeq() })
}
const timer = setInterval(flush, 100)

createInterface({ input: process.stdin }).on('line', line => {
  if (line.trim() !== 'stop') return
  clearInterval(timer)
  void load.stop().then(report => {
    flush()
    write({ sent: Object.fromEntries(report.streams.map(s => [s.name, s.sent])), durationMs: report.durationMs })
    write({ done: true })
    process.exit(0)
  })
})
