import t from 'tap'
import { MAX_REGISTRY_PASSWORD_BYTES, MAX_REGISTRY_USERNAME } from '../schemas/index.js'
import { REGISTRY_BODY_LIMIT, registryLoginOf } from './registry-body.js'

const json = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v))

t.test('a login: {username, password} in JSON', async t => {
  t.same(registryLoginOf(json({ username: 'ci', password: 'hunter2' }), 'application/json'), { username: 'ci', password: 'hunter2' })
  t.same(registryLoginOf(json({ password: 'p w\n"', username: 'ci-bot@example.com' }), 'application/json; charset=utf-8'), { username: 'ci-bot@example.com', password: 'p w\n"' }, 'any characters in a password')
  t.equal(registryLoginOf(json({ username: 'u', password: 'é'.repeat(MAX_REGISTRY_PASSWORD_BYTES / 2) }), 'application/json').password.length, MAX_REGISTRY_PASSWORD_BYTES / 2, 'the limit is in bytes: exactly at it')
})

t.test('refusals name the field and the rule, never quote the body', async t => {
  const cases: [Buffer | undefined, string | undefined, RegExp, number][] = [
    [json({ username: 'u', password: 'hunter2' }), 'text/plain', /send application\/json/, 415],
    [json('{"username": "u", "password": "hunter2"'), 'application/json', /the body is JSON \{"username"/, 400],
    [json('["hunter2"]'), 'application/json', /the body is JSON \{"username"/, 400],
    [undefined, 'application/json', /the body is JSON/, 400],
    [json({ username: 'u', password: 'hunter2', extra: 1 }), 'application/json', /unknown field "extra"/, 400],
    [json({ password: 'hunter2' }), 'application/json', /^username: a registry username is required/, 400],
    [json({ username: 'a:b', password: 'hunter2' }), 'application/json', /^username: .*":" or control characters/, 400],
    [json({ username: 'u'.repeat(MAX_REGISTRY_USERNAME + 1), password: 'hunter2' }), 'application/json', /^username: .*at most 256 characters/, 400],
    [json({ username: 'u', password: 7 }), 'application/json', /^password: a string is required/, 400],
    [json({ username: 'u', password: '' }), 'application/json', /^password: at least 1 byte, at most 4096 \(MAX_REGISTRY_PASSWORD_BYTES\): it is empty/, 400],
    [json({ username: 'u', password: 'h'.repeat(MAX_REGISTRY_PASSWORD_BYTES + 1) }), 'application/json', /at most 4096 bytes \(MAX_REGISTRY_PASSWORD_BYTES\), got 4097/, 413],
  ]
  for (const [body, type, message, statusCode] of cases) {
    const f = () => registryLoginOf(body, type)
    t.throws(f, { code: 'DKA_BUILDER_BAD_REQUEST', statusCode, message })
    try { f() } catch (e) { t.notMatch((e as Error).message, /hunter2|hhhh/) }
  }
  t.ok(REGISTRY_BODY_LIMIT >= 6 * MAX_REGISTRY_PASSWORD_BYTES, 'a fully escaped password still reaches the check that names the limit')
})
