import t from 'tap'
import type { ContainerSpec } from '../schemas/index.js'
import { createOptions, fallbackName, linkEnvName, linkTarget, memoryBytes, type HostContext } from './container-options.js'

const host: HostContext = { hostId: 'h1', hostAddress: '10.0.0.5', ambassadorAddress: '172.17.0.1', domain: 'dokkaa.local', network: 'bridge', linkPorts: { nginx: 20001, 'db-main.other': 20002 } }
const ref = { app: 'dummy', name: 'crawler', index: 1 }

t.test('the seed crawler: command, links, DNS, labels, restart policy', async t => {
  const spec: ContainerSpec = {
    image: 'busybox', restart: 'always', command: 'while true; do wget -qO- http://$SERVICE_NGINX_ADDR:$SERVICE_NGINX_PORT; sleep 2; done',
    services: {}, links: ['nginx', 'db-main.other'], env: { DEBUG: true, N: 3 }, labels: { team: 'x' },
  }
  const o = createOptions(spec, 'abc', ref, host, 'dummy---crawler---1')
  t.equal(o.name, 'dummy---crawler---1')
  t.same(o.Cmd, ['sh', '-c', spec.command])
  t.same(o.Env, ['DEBUG=true', 'N=3', 'SERVICE_NGINX_ADDR=172.17.0.1', 'SERVICE_NGINX_PORT=20001', 'SERVICE_DB_MAIN_OTHER_ADDR=172.17.0.1', 'SERVICE_DB_MAIN_OTHER_PORT=20002'])
  t.same(o.Labels, { team: 'x', 'io.dokkaa.app': 'dummy', 'io.dokkaa.name': 'crawler', 'io.dokkaa.instance': '1', 'io.dokkaa.host': 'h1', 'io.dokkaa.spec': 'abc' })
  t.same(o.HostConfig?.RestartPolicy, { Name: 'no' })
  t.same(o.HostConfig?.Dns, ['172.17.0.1'])
  t.same(o.HostConfig?.DnsSearch, ['dummy.dokkaa.local', 'dokkaa.local'])
})

t.test('services are published on the host address with a Docker-chosen port; limits; flags', async t => {
  const spec: ContainerSpec = {
    image: 'nginx', restart: 'always', command: ['nginx', '-g', 'daemon off;'],
    services: { web: { port: 80, role: 'web' }, dns: { port: 53, protocol: 'udp' } },
    resources: { memory: '512m', cpus: 1.5 }, hostname: 'box', extraHosts: ['db:10.0.0.9'], dns: ['9.9.9.9'],
    dockerflags: { User: 'nobody', Init: true, CapDrop: ['NET_RAW'] },
  }
  const o = createOptions(spec, 'abc', ref, { ...host, ambassadorAddress: undefined }, 'n')
  t.same(o.Cmd, ['nginx', '-g', 'daemon off;'])
  t.same(o.ExposedPorts, { '80/tcp': {}, '53/udp': {} })
  t.same(o.HostConfig?.PortBindings, { '80/tcp': [{ HostIp: '10.0.0.5', HostPort: '' }], '53/udp': [{ HostIp: '10.0.0.5', HostPort: '' }] })
  t.equal(o.HostConfig?.Memory, 512 * 1024 * 1024)
  t.equal(o.HostConfig?.NanoCpus, 1_500_000_000)
  t.equal(o.Hostname, 'box')
  t.same(o.HostConfig?.ExtraHosts, ['db:10.0.0.9'])
  t.same(o.HostConfig?.Dns, ['9.9.9.9'], 'the manifest\'s dns wins')
  t.equal(o.HostConfig?.DnsSearch, undefined, 'no search domains without an ambassador')
  t.equal(o.User, 'nobody')
  t.equal(o.HostConfig?.Init, true)
  t.same(o.HostConfig?.CapDrop, ['NET_RAW'])
})

t.test('without an ambassador, links point at the host address', async t => {
  const o = createOptions({ image: 'i', restart: 'always', services: {}, links: ['nginx'] }, 'h', ref, { ...host, ambassadorAddress: undefined }, 'n')
  t.same(o.Env, ['SERVICE_NGINX_ADDR=10.0.0.5', 'SERVICE_NGINX_PORT=20001'])
})

t.test('host network publishes nothing', async t => {
  const o = createOptions({ image: 'i', restart: 'always', services: { web: { port: 80 } }, dockerflags: { NetworkMode: 'host' } }, 'h', ref, host, 'n')
  t.same(o.HostConfig?.PortBindings, {})
  t.equal(o.HostConfig?.NetworkMode, 'host')
  t.equal(o.HostConfig?.Dns, undefined)
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
  t.equal(o.HostConfig?.NetworkMode, 'dokkaa-net')
  t.same(o.HostConfig?.PortBindings, { '80/tcp': [{ HostIp: '10.0.0.5', HostPort: '' }] })
  t.same(o.HostConfig?.Dns, ['172.17.0.1'])
  const b = createOptions({ image: 'i', restart: 'always', services: {}, dockerflags: { NetworkMode: 'bridge' } }, 'h', ref, onNet, 'n')
  t.equal(b.HostConfig?.NetworkMode, 'dokkaa-net')
  const none = createOptions({ image: 'i', restart: 'always', services: { web: { port: 80 } }, dockerflags: { NetworkMode: 'none' } }, 'h', ref, onNet, 'n')
  t.equal(none.HostConfig?.NetworkMode, 'none')
  t.same(none.HostConfig?.PortBindings, {})
  t.equal(none.HostConfig?.Dns, undefined)
})
