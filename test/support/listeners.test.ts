import t from 'tap'
import { classifyListener, dialAddress, parseSs } from './listeners.js'

const SS = `udp UNCONN 0      0       127.0.0.1:53    0.0.0.0:* users:(("node",pid=23991,fd=22))
udp UNCONN 0      0      172.17.0.1:53    0.0.0.0:* users:(("node",pid=23991,fd=20))
tcp LISTEN 0      128       0.0.0.0:2024  0.0.0.0:*
tcp LISTEN 0      511    10.213.5.2:7070 0.0.0.0:* users:(("node",pid=3,fd=25))
tcp LISTEN 0      4096   10.213.5.2:32768 0.0.0.0:* users:(("docker-proxy",pid=9,fd=4))
tcp LISTEN 0      511          [::1]:20001 [::]:* users:(("node",pid=3,fd=26))
tcp LISTEN 0      511              *:80    *:* users:(("node",pid=3,fd=27))
udp UNCONN 0      0    10.213.5.2%eth0:5353 0.0.0.0:* users:(("avahi",pid=1,fd=1))`

t.test('ss -Hltunp lines become listeners', async t => {
  t.same(parseSs(SS).map(l => [l.proto, l.address, l.port, l.process]), [
    ['udp', '127.0.0.1', 53, 'node'],
    ['udp', '172.17.0.1', 53, 'node'],
    ['tcp', '0.0.0.0', 2024, ''],
    ['tcp', '10.213.5.2', 7070, 'node'],
    ['tcp', '10.213.5.2', 32768, 'docker-proxy'],
    ['tcp', '::1', 20001, 'node'],
    ['tcp', '0.0.0.0', 80, 'node'],
    ['udp', '10.213.5.2', 5353, 'avahi'],
  ])
  t.same(parseSs('State Recv-Q\n\n'), [], 'headers and blank lines are no listeners')
})

t.test('only loopback, published app ports, container-facing and the web HTTP port may be plain', async t => {
  const rules = { webHttp: '10.213.5.2:80', webHttps: '10.213.5.2:443', dockerGateway: '172.17.0.1' }
  const verdicts = parseSs(SS).map(l => classifyListener(l, rules))
  t.same(verdicts, ['loopback', 'container-facing', 'must-be-tls', 'must-be-tls', 'app-port', 'loopback', 'must-be-tls', 'plain-udp'])
  t.equal(classifyListener({ proto: 'tcp', address: '10.213.5.2', port: 80, process: 'node' }, rules), 'web-http')
  t.equal(classifyListener({ proto: 'tcp', address: '10.213.5.2', port: 443, process: 'node' }, rules), 'web-https')
  t.equal(classifyListener({ proto: 'tcp', address: '10.213.5.2', port: 8080, process: 'node' }, rules), 'must-be-tls', 'another port on the host address')
})

t.test('a wildcard listener is dialled at the host address', async t => {
  t.equal(dialAddress({ proto: 'tcp', address: '0.0.0.0', port: 1, process: '' }, '10.0.0.2'), '10.0.0.2')
  t.equal(dialAddress({ proto: 'tcp', address: '::', port: 1, process: '' }, '10.0.0.2'), '10.0.0.2')
  t.equal(dialAddress({ proto: 'tcp', address: '10.0.0.9', port: 1, process: '' }, '10.0.0.2'), '10.0.0.9')
})
