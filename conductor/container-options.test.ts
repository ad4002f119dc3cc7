import t from 'tap'
import type { ContainerSpec } from '../schemas/index.js'
import { besideName, createOptions, fallbackName, linkEnvName, linkTarget, memoryBytes, type HostContext } from './container-options.js'

const host: HostContext = { hostId: 'h1', hostAddress: '10.0.0.5', ambassadorAddress: '172.17.0.1', domain: 'dokkaa.local', network: 'bridge', linkPorts: { nginx: 20001, 'db-main.other': 20002 } }
const ref = { app: 'dummy', name: 'crawler', index: 1 }

t.test('the seed crawler: command, links, DNS, labels', async t => {
  const spec: ContainerSpec = {
    image: 'busybox', restart: 'always', command: 'while true; do wget -qO- http://$SERVICE_NGINX_ADDR:$SERVICE_NGINX_PORT; sleep 2; done',
    services: {}, links: ['nginx', 'db-main.other'], env: { DEBUG: true, N: 3 }, labels: { team: 'x' },
  }
  const o = createOptions(spec, 'abc', ref, host, 'dummy---crawler---1')
  t.equal(o.name, 'dummy---crawler---1')
  t.same(o.cmd, ['sh', '-c', spec.command])
  t.same(o.env, ['DEBUG=true', 'N=3', 'SERVICE_NGINX_ADDR=172.17.0.1', 'SERVICE_NGINX_PORT=20001', 'SERVICE_DB_MAIN_OTHER_ADDR=172.17.0.1', 'SERVICE_DB_MAIN_OTHER_PORT=20002'])
  t.same(o.labels, { team: 'x', 'io.dokkaa.app': 'dummy', 'io.dokkaa.name': 'crawler', 'io.dokkaa.instance': '1', 'io.dokkaa.host': 'h1', 'io.dokkaa.spec': 'abc' })
  t.same(o.dns, ['172.17.0.1'])
  t.same(o.dnsSearch, ['dummy.dokkaa.local', 'dokkaa.local'])
})

t.test('services are published on the host address with a Docker-chosen port; limits; flags', async t => {
  const spec: ContainerSpec = {
    image: 'nginx', restart: 'always', command: ['nginx', '-g', 'daemon off;'],
    services: { web: { port: 80, role: 'web' }, dns: { port: 53, protocol: 'udp' } },
    resources: { memory: '512m', cpus: 1.5 }, hostname: 'box', extraHosts: ['db:10.0.0.9'], dns: ['9.9.9.9'],
    dockerflags: { User: 'nobody', Init: true, CapDrop: ['NET_RAW'] },
  }
  const o = createOptions(spec, 'abc', ref, { ...host, ambassadorAddress: undefined }, 'n')
  t.same(o.cmd, ['nginx', '-g', 'daemon off;'])
  t.same(o.exposedPorts, ['80/tcp', '53/udp'])
  t.same(o.portBindings, { '80/tcp': [{ hostIp: '10.0.0.5', hostPort: '' }], '53/udp': [{ hostIp: '10.0.0.5', hostPort: '' }] })
  t.equal(o.memoryBytes, 512 * 1024 * 1024)
  t.equal(o.nanoCpus, 1_500_000_000)
  t.equal(o.hostname, 'box')
  t.same(o.extraHosts, ['db:10.0.0.9'])
  t.same(o.dns, ['9.9.9.9'], 'the manifest\'s dns wins')
  t.equal(o.dnsSearch, undefined, 'no search domains without an ambassador')
  t.equal(o.user, 'nobody')
  t.equal(o.init, true)
  t.same(o.capDrop, ['NET_RAW'])
})

t.test('without an ambassador, links point at the host address', async t => {
  const o = createOptions({ image: 'i', restart: 'always', services: {}, links: ['nginx'] }, 'h', ref, { ...host, ambassadorAddress: undefined }, 'n')
  t.same(o.env, ['SERVICE_NGINX_ADDR=10.0.0.5', 'SERVICE_NGINX_PORT=20001'])
})

t.test('host network publishes nothing', async t => {
  const o = createOptions({ image: 'i', restart: 'always', services: { web: { port: 80 } }, dockerflags: { NetworkMode: 'host' } }, 'h', ref, host, 'n')
  t.same(o.portBindings, {})
  t.equal(o.networkMode, 'host')
  t.equal(o.dns, undefined)
})

t.test('helpers', async t => {
  t.equal(linkEnvName('my-db.other'), 'MY_DB_OTHER')
  t.same(linkTarget('dummy', 'nginx'), { app: 'dummy', service: 'nginx' })
  t.same(linkTarget('dummy', 'db.other'), { app: 'other', service: 'db' })
  t.equal(memoryBytes('1.5g'), 1.5 * 1024 ** 3)
  t.equal(memoryBytes('1048576'), 1048576)
  t.throws(() => memoryBytes('lots'))
  t.equal(fallbackName('dummy---nginx', 'host/1'), 'dummy---nginx.host_1')
})

t.test('containers join the host\'s network; a manifest\'s "bridge" means that network', async t => {
  const onNet = { ...host, network: 'dokkaa-net' }
  const o = createOptions({ image: 'i', restart: 'always', services: { web: { port: 80 } } }, 'h', ref, onNet, 'n')
  t.equal(o.networkMode, 'dokkaa-net')
  t.same(o.portBindings, { '80/tcp': [{ hostIp: '10.0.0.5', hostPort: '' }] })
  t.same(o.dns, ['172.17.0.1'])
  const b = createOptions({ image: 'i', restart: 'always', services: {}, dockerflags: { NetworkMode: 'bridge' } }, 'h', ref, onNet, 'n')
  t.equal(b.networkMode, 'dokkaa-net')
  const none = createOptions({ image: 'i', restart: 'always', services: { web: { port: 80 } }, dockerflags: { NetworkMode: 'none' } }, 'h', ref, onNet, 'n')
  t.equal(none.networkMode, 'none')
  t.same(none.portBindings, {})
  t.equal(none.dns, undefined)
})

t.test('graceful stop: the manifest\'s stop signal and grace period (rounded up to Docker\'s seconds) win over dockerflags', async t => {
  const base: ContainerSpec = { image: 'i', restart: 'always', services: {} }
  const plain = createOptions(base, 'h', ref, host, 'n')
  t.equal(plain.stopSignal, undefined, 'the image\'s STOPSIGNAL, else SIGTERM')
  t.equal(plain.stopTimeout, undefined, 'Docker\'s 10 s, the default grace period')
  const flags = createOptions({ ...base, dockerflags: { StopSignal: 'SIGINT', StopTimeout: 3 } }, 'h', ref, host, 'n')
  t.same([flags.stopSignal, flags.stopTimeout], ['SIGINT', 3])
  const both = createOptions({ ...base, stopSignal: 'SIGQUIT', stopGracePeriod: '1500ms', dockerflags: { StopSignal: 'SIGINT', StopTimeout: 3 } }, 'h', ref, host, 'n')
  t.same([both.stopSignal, both.stopTimeout], ['SIGQUIT', 2])
})

t.test('health: a cmd check becomes Docker\'s HEALTHCHECK (durations in ns); http and tcp checks are the conductor\'s', async t => {
  const base: ContainerSpec = { image: 'i', restart: 'always', services: { web: { port: 80, role: 'web' } } }
  const cmd = createOptions({ ...base, health: { cmd: ['pg_isready', '-q'], interval: '2s', timeout: '500ms', retries: 4, startPeriod: '10s' } }, 'h', ref, host, 'n')
  t.same(cmd.healthcheck, { test: ['CMD', 'pg_isready', '-q'], intervalNs: 2e9, timeoutNs: 5e8, retries: 4, startPeriodNs: 1e10 })
  t.equal(createOptions({ ...base, health: { http: '/healthz' } }, 'h', ref, host, 'n').healthcheck, undefined)
  t.equal(createOptions({ ...base, health: { tcp: 'web' } }, 'h', ref, host, 'n').healthcheck, undefined)
  t.equal(createOptions(base, 'h', ref, host, 'n').healthcheck, undefined, 'no check: the image\'s own HEALTHCHECK, if any')
})

t.test('the name beside an old container cannot be any instance\'s', async t => {
  t.equal(besideName('dummy---nginx', '0123456789abcdef'), 'dummy---nginx--next-0123456789ab')
})
