import t from 'tap'
import { MAX_CONFIG_BYTES, MAX_SECRET_BYTES } from '../schemas/index.js'
import { bodyLimit, valueOf } from './secret-body.js'

t.test('the value: raw bytes whatever the type, or {"value"} in JSON', async t => {
  t.equal(valueOf('secret', Buffer.from('hunter2\n'), 'application/octet-stream').toString(), 'hunter2\n', 'bytes as sent, newline and all')
  t.equal(valueOf('secret', Buffer.from('hunter2'), 'application/x-www-form-urlencoded').toString(), 'hunter2', 'curl --data-binary')
  t.equal(valueOf('secret', Buffer.from('hunter2'), undefined).toString(), 'hunter2')
  t.equal(valueOf('secret', Buffer.from('{"value":"hunter2"}'), 'application/json; charset=utf-8').toString(), 'hunter2')
  t.same(valueOf('secret', Buffer.from([0, 255, 1]), 'application/octet-stream'), Buffer.from([0, 255, 1]), 'a secret may be binary')
  t.equal(valueOf('config', undefined, 'text/plain').length, 0, 'an empty config is a file too')
})

t.test('refusals name the rule and never quote the body', async t => {
  const cases: [() => unknown, RegExp, number][] = [
    [() => valueOf('secret', Buffer.alloc(MAX_SECRET_BYTES + 1), 'application/octet-stream'), /at most 16384 bytes \(MAX_SECRET_BYTES\), got 16385/, 413],
    [() => valueOf('config', Buffer.alloc(MAX_CONFIG_BYTES + 1, 'a'), 'text/plain'), /at most 32768 bytes \(MAX_CONFIG_BYTES\)/, 413],
    [() => valueOf('secret', Buffer.from('{"value":"hunter2","x":1}'), 'application/json'), /\{"value": "<the secret>"\} and nothing else/, 400],
    [() => valueOf('secret', Buffer.from('hunter2'), 'application/json'), /\{"value": "<the secret>"\}/, 400],
    [() => valueOf('secret', Buffer.alloc(0), 'text/plain'), /at least 1 byte/, 400],
    [() => valueOf('config', Buffer.from([0xff, 0xfe, 0x68]), 'text/plain'), /UTF-8 text/, 400],
  ]
  for (const [f, message, statusCode] of cases) {
    t.throws(f, { code: 'DKA_BUILDER_BAD_REQUEST', statusCode, message })
    try { f() } catch (e) { t.notMatch((e as Error).message, /hunter2/) }
  }
  t.ok(bodyLimit('secret') >= 6 * MAX_SECRET_BYTES, 'a fully escaped JSON value still reaches the check that names the limit')
})
