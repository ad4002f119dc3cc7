import t from 'tap'
import { Command } from 'commander'
import { envVarOf, FlagError, parseEtcdUrls, parseListen, parseLogLevel, parsePortRangeFlag, parsePrefix, withEnvVars } from './flags.js'

t.test('every flag has its DOKKAA_* env var; the command line wins', async t => {
  t.equal(envVarOf('--port-range'), 'DOKKAA_PORT_RANGE')
  const make = () => withEnvVars(new Command('x').exitOverride().option('--etcd <urls>', 'etcd', 'http://127.0.0.1:2379').option('--log-level <l>', 'level'))
  const saved = { ...process.env }
  t.teardown(() => { process.env = saved })
  process.env['DOKKAA_ETCD'] = 'http://10.0.0.1:2379'
  process.env['DOKKAA_LOG_LEVEL'] = 'debug'
  t.same(make().parse(['node', 'x']).opts(), { etcd: 'http://10.0.0.1:2379', logLevel: 'debug' }, 'env over defaults')
  t.same(make().parse(['node', 'x', '--etcd', 'http://a:1']).opts().etcd, 'http://a:1', 'flag over env')
})

t.test('shared parsers name the flag and the fix', async t => {
  t.same(parseEtcdUrls('http://a:2379, https://b:2379'), ['http://a:2379', 'https://b:2379'])
  t.throws(() => parseEtcdUrls('a:2379'), new FlagError('--etcd', '"a:2379" is not an etcd client URL like http://127.0.0.1:2379'))
  t.throws(() => parseEtcdUrls(','), /needs at least one URL/)
  t.equal(parsePrefix(undefined), '')
  t.equal(parsePrefix('/t-1'), '/t-1')
  t.throws(() => parsePrefix('x/'), /--prefix: "x\/" must start with "\/"/)
  t.same(parsePortRangeFlag('20000-20999'), { from: 20000, to: 20999 })
  t.throws(() => parsePortRangeFlag('9-1'), /9 is above 1/)
  t.throws(() => parsePortRangeFlag('0-10'), /ports are 1-65535/)
  t.equal(parseLogLevel(undefined), 'info')
  t.throws(() => parseLogLevel('loud'), /--log-level: "loud" is not one of fatal, error/)
  t.same(parseListen('0.0.0.0:8080'), { host: '0.0.0.0', port: 8080 })
  t.same(parseListen('[::1]:80'), { host: '::1', port: 80 })
  t.same(parseListen('8080'), { host: '127.0.0.1', port: 8080 })
  t.throws(() => parseListen('x:99999'), /not host:port/)
})
