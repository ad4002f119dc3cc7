import t from 'tap'
import { MAX_REGISTRY_PASSWORD_BYTES } from '../schemas/index.js'
import { passwordFromStdin, registryLines } from './cmd-registries.js'

t.test('the password from stdin: one trailing newline dropped, nothing else', async t => {
  t.equal(passwordFromStdin(Buffer.from('hunter2\n')), 'hunter2', 'echo\'s newline')
  t.equal(passwordFromStdin(Buffer.from('hunter2\r\n')), 'hunter2', 'a CRLF one')
  t.equal(passwordFromStdin(Buffer.from('hunter2')), 'hunter2', 'printf %s')
  t.equal(passwordFromStdin(Buffer.from('hunter2\n\n')), 'hunter2\n', 'only one')
  t.equal(passwordFromStdin(Buffer.from(' pass word ')), ' pass word ', 'spaces are the password\'s')
  t.throws(() => passwordFromStdin(Buffer.from('\n')), { code: 'DKA_CFG_USAGE', message: /no password on stdin/ })
  t.throws(() => passwordFromStdin(Buffer.alloc(0)), { code: 'DKA_CFG_USAGE' })
  t.throws(() => passwordFromStdin(Buffer.alloc(MAX_REGISTRY_PASSWORD_BYTES + 1, 'h')), { code: 'DKA_CFG_USAGE', message: /at most 4096 bytes \(MAX_REGISTRY_PASSWORD_BYTES\), got 4097/ })
  t.equal(passwordFromStdin(Buffer.alloc(MAX_REGISTRY_PASSWORD_BYTES, 'h')).length, MAX_REGISTRY_PASSWORD_BYTES, 'at the limit')
})

t.test('registry ls: HOST USERNAME UPDATED', async t => {
  const lines = registryLines([{ host: 'registry.example.com:5000', username: 'ci', createdAt: 'c', updatedAt: '2026-11-29T05:00:00.000Z' }])
  t.same(lines.map(l => l.split(/\s+/)), [['HOST', 'USERNAME', 'UPDATED'], ['registry.example.com:5000', 'ci', '2026-11-29T05:00:00.000Z']])
  t.same(registryLines([]), ['no registry credentials stored'])
})
