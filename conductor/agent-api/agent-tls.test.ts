import t from 'tap'
import type { TlsFileAccess } from '../../kit/etcd-tls.js'
import { parseAgentTls, readAgentTls } from './agent-tls.js'

const PEM = (what: string) => `-----BEGIN ${what}-----\nAAAA\n-----END ${what}-----\n`
const FILES: Record<string, [string, number]> = {
  '/pki/h1.crt': [PEM('CERTIFICATE'), 0o644],
  '/pki/h1.key': [PEM('PRIVATE KEY'), 0o600],
  '/pki/loose.key': [PEM('PRIVATE KEY'), 0o640],
  '/pki/ca.crt': [PEM('CERTIFICATE'), 0o644],
  '/pki/junk': ['hello', 0o644],
}
const files: TlsFileAccess = {
  read: path => { if (!FILES[path]) throw new Error(`ENOENT: no such file or directory, open '${path}'`); return Buffer.from(FILES[path][0]) },
  mode: path => FILES[path]![1],
}
const paths = { cert: '/pki/h1.crt', key: '/pki/h1.key', clientCa: '/pki/ca.crt' }

t.test('parse: all three or none; none when the agent API is off', async t => {
  t.equal(parseAgentTls({}, true), undefined)
  t.equal(parseAgentTls({}, false), undefined)
  t.same(parseAgentTls({ agentTlsCert: paths.cert, agentTlsKey: paths.key, agentClientCa: paths.clientCa }, true), paths)
  t.throws(() => parseAgentTls({ agentTlsCert: paths.cert, agentTlsKey: paths.key }, true), { flag: '--agent-client-ca', message: /^--agent-client-ca: missing: / })
})

t.test('read: the three files, each refusal naming its flag', async t => {
  t.same(readAgentTls(paths, files), { cert: Buffer.from(PEM('CERTIFICATE')), key: Buffer.from(PEM('PRIVATE KEY')), clientCa: Buffer.from(PEM('CERTIFICATE')) })
  t.throws(() => readAgentTls({ ...paths, key: '/pki/loose.key' }, files),
    { flag: '--agent-tls-key', message: '--agent-tls-key: /pki/loose.key is readable by group or others (mode 640): chmod 600 /pki/loose.key' })
  t.throws(() => readAgentTls({ ...paths, clientCa: '/pki/junk' }, files),
    { flag: '--agent-client-ca', message: '--agent-client-ca: /pki/junk is not a PEM file (no "-----BEGIN" line): give the CA of the agent API\'s clients in PEM' })
  t.throws(() => readAgentTls({ ...paths, cert: '/pki/none.crt' }, files),
    { flag: '--agent-tls-cert', message: /^--agent-tls-cert: cannot read the agent API's server certificate \/pki\/none.crt: ENOENT/ })
})
