import t from 'tap'
import { etcdEnv, hostEnv, parseHosts, planHosts } from './ssh-plan.js'
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
  t.match(env, /^ETCD_INITIAL_CLUSTER=demo-h1=http:\/\/a:2380,demo-h2=http:\/\/b:2380,demo-h3=http:\/\/c:2380$/m)
  t.match(env, /^ETCD_NAME=demo-h2$/m)
  t.match(env, /^ETCD_INITIAL_CLUSTER_TOKEN=dokkaa-demo$/m)
  const one = planHosts('demo', parseHosts('root@a,root@b'), 2, 1)
  t.equal(etcdEnv(c, one[1]!, one), '', 'no etcd.env on a host that runs no etcd')
  const h = hostEnv(c, one[1]!, one)
  t.match(h, /^DOKKAA_ETCD=http:\/\/a:2379$/m)
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
