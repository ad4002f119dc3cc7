import t from 'tap'
import { demuxBuffer } from './docker-log-frames.js'

function frame(kind: number, text: string): Buffer {
  const payload = Buffer.from(text)
  const h = Buffer.alloc(8)
  h[0] = kind
  h.writeUInt32BE(payload.length, 4)
  return Buffer.concat([h, payload])
}

t.test('joins stdout and stderr payloads in order', async t => {
  t.equal(demuxBuffer(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(1, 'more\n')])).toString(), 'out\nerr\nmore\n')
})

t.test('raw TTY output passes through', async t => {
  t.equal(demuxBuffer(Buffer.from('hello from a tty\n')).toString(), 'hello from a tty\n')
  t.equal(demuxBuffer(Buffer.alloc(0)).length, 0)
})
