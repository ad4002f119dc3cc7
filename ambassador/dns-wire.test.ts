import t from 'tap'
import dns2 from 'dns2'
import { questionEnd, stampAnswer } from './dns-wire.js'

const { Packet } = dns2

function query(name: string, id: number, rd: boolean): Buffer {
  const p = new Packet()
  p.header.id = id
  p.header.rd = rd ? 1 : 0
  p.questions.push({ name, type: Packet.TYPE.A, class: Packet.CLASS.IN } as never)
  return p.toBuffer()
}

t.test('finds the question and stamps a cached answer', async (t) => {
  const q1 = query('nginx.dummy.dokkaa.local', 7, true)
  const end = questionEnd(q1)
  t.equal(end, q1.length)
  const answer = Packet.createResponseFromRequest(Packet.parse(q1))
  answer.answers.push({ name: 'nginx.dummy.dokkaa.local', type: 1, class: 1, ttl: 5, address: '10.0.0.1' } as never)
  const cached = answer.toBuffer()
  const q2 = query('nginx.dummy.dokkaa.local', 4242, false)
  const stamped = Packet.parse(stampAnswer(cached, q2))
  t.equal(stamped.header.id, 4242)
  t.equal(stamped.header.rd, 0)
  t.equal(stamped.header.qr, 1)
  t.equal(stamped.answers[0]?.address, '10.0.0.1')
})

t.test('refuses what is not a plain one-question query', async (t) => {
  t.equal(questionEnd(Buffer.alloc(5)), undefined)
  const q = query('a.b', 1, true)
  const response = Buffer.from(q); response[2] = response[2]! | 0x80
  t.equal(questionEnd(response), undefined)
  const truncated = q.subarray(0, q.length - 2)
  t.equal(questionEnd(truncated), undefined)
})
