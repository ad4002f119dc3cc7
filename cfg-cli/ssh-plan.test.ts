import t from 'tap'
import { etcdEnv, hostCertNames, hostEnv, parseHosts, planHosts } from './ssh-plan.js'
import { sshArgs } from './ssh-exec.js'

const c = { cluster: 'demo', prefix: '', leaseTtl: 5, dnsUpstream: 'auto' }

t.test('--hosts parsing', async t => {
  t.same(parseHosts('root@10.0.0.5, admin@db.example.com,10.0.0.7'), [
    { user: 'root', host: '10.0.0.5' }, { user: 'admin', host: 'db.example.com' }, { user: 'root', host: '10.0.0.7' }])
  t.throws(() => parseHosts('root@a,root@a'), { message: /twice/ })
  t.throws(() => parseHosts('root@a b'), { message: /not user@host/ })
  t.throws(() => parseHosts(''), { code: 'DKA_CFG_USAGE' })
})

t.test('plan: ids by position, etcd on the first members, scale bounded by --hosts', async t => {
  const hs = planHosts('demo', parseHosts('root@a,root@b,root@c'), 3, 3)
  t.same(hs.map(h => [h.id, h.etcd]), [['demo-h1', true], ['demo-h2', true], ['demo-h3', true]])
  t.throws(() => planHosts('demo', parseHosts('root@a'), 2, 1), { message: /--scale must be 0 to 1/ })
  t.throws(() => planHosts('demo', parseHosts('root@a,root@b'), 2, 3), { message: /--etcd-members/ })
  const env = etcdEnv(c, hs[1]!, hs)
  t.match(env, /^ETCD_INITIAL_CLUSTER=demo-h1=https:\/\/a:2380,demo-h2=https:\/\/b:2380,demo-h3=https:\/\/c:2380$/m)
  t.match(env, /^ETCD_LISTEN_CLIENT_URLS=https:\/\/b:2379,https:\/\/127\.0\.0\.1:2379$/m, 'clients: TLS only')
  t.match(env, /^ETCD_CLIENT_CERT_AUTH=true$/m, 'a client certificate required')
  t.match(env, /^ETCD_PEER_CLIENT_CERT_AUTH=true$/m, 'of peers too')
  t.match(env, /^ETCD_CERT_FILE=\/etc\/dokkaa\/pki\/etcd-demo-h2\.crt$/m)
  t.match(env, /^ETCD_PEER_TRUSTED_CA_FILE=\/etc\/dokkaa\/pki\/ca\.crt$/m)
  t.match(env, /^ETCD_NAME=demo-h2$/m)
  t.match(env, /^ETCD_INITIAL_CLUSTER_TOKEN=dokkaa-demo$/m)
  const one = planHosts('demo', parseHosts('root@a,root@b'), 2, 1)
  t.equal(etcdEnv(c, one[1]!, one), '', 'no etcd.env on a host that runs no etcd')
  const h = hostEnv(c, one[1]!, one)
  t.match(h, /^DOKKAA_ETCD=https:\/\/a:2379$/m)
  t.match(h, /^DOKKAA_CONDUCTOR_ETCD_CERT=\/etc\/dokkaa\/pki\/conductor-demo-h2\.crt$/m, 'each part its own certificate')
  t.match(h, /^DOKKAA_AMBASSADOR_ETCD_KEY=\/etc\/dokkaa\/pki\/ambassador-demo-h2\.key$/m)
  t.match(h, /^DOKKAA_NO_SCHEDULER=1$/m, 'a host without etcd does not schedule')
  t.notMatch(h, /SCHEDULER_ETCD_CERT|BUILDER_ETCD_CERT/, 'and gets neither the scheduler\'s nor the builder\'s certificate')
  t.same(hostCertNames(one[1]!, false), ['conductor-demo-h2', 'ambassador-demo-h2'])
  const first = hostEnv(c, one[0]!, one)
  t.match(first, /^DOKKAA_SCHEDULER_ETCD_CERT=\/etc\/dokkaa\/pki\/scheduler\.crt$/m, 'the etcd host schedules as the scheduler')
  t.match(first, /^DOKKAA_BUILDER_ETCD_CERT=\/etc\/dokkaa\/pki\/builder\.crt$/m, 'the first host runs the builder')
  t.match(first, /^DOKKAA_TLS_CERT=\/etc\/dokkaa\/pki\/builder\.crt$/m, 'which serves HTTPS with its certificate')
  t.match(first, /^DOKKAA_AGENT_CERT=\/etc\/dokkaa\/pki\/builder\.crt$/m, 'and shows it to the agent APIs')
  t.match(h, /^DOKKAA_AGENT_TLS_CERT=\/etc\/dokkaa\/pki\/conductor-demo-h2\.crt$/m, 'every agent API serves HTTPS with its conductor\'s certificate')
  t.match(h, /^DOKKAA_AGENT_CLIENT_CA=\/etc\/dokkaa\/pki\/ca\.crt$/m)
  t.notMatch(h, /^DOKKAA_TLS_CERT=/m, 'no builder flags where no builder runs')
  t.same(hostCertNames(one[0]!, true), ['etcd-demo-h1', 'scheduler', 'conductor-demo-h1', 'ambassador-demo-h1', 'builder'])
  t.match(h, /^DOKKAA_HOST_ID=demo-h2$/m)
  t.match(h, /^DOKKAA_BUILDER_LISTEN=b:8080$/m)
  t.match(h, /^DOKKAA_AMBASSADOR_ADDRESS=auto$/m, 'filled in on the host from docker0')
})

t.test('ssh never prompts and pins host keys in the cluster\'s own file', async t => {
  const a = sshArgs('root@a', { knownHosts: '/s/known_hosts', identity: '/k/id', port: 2222 })
  t.same(a.slice(0, 4), ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=accept-new'])
  t.ok(a.includes('UserKnownHostsFile=/s/known_hosts'))
  t.same(a.slice(-5), ['-i', '/k/id', '-p', '2222', 'root@a'])
})
