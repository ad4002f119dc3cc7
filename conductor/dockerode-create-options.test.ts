// Dokkaa's ContainerCreate in the Docker API's words: every field lands where Docker reads
// it, nothing left out is sent, and what container-options.ts decides for a manifest
// reaches Docker exactly as it did when that file built dockerode's options itself.
import t from 'tap'
import type { ContainerSpec } from '../schemas/index.js'
import { createOptions, type HostContext } from './container-options.js'
import type { ContainerCreate } from './docker-engine.js'
import { dockerCreateOptions } from './dockerode-create.js'

const minimal: ContainerCreate = { name: 'n', image: 'i', env: [], labels: {}, exposedPorts: [], portBindings: {}, networkMode: 'bridge' }

t.test('the fields every container has; Docker never restarts one', async t => {
  t.strictSame(dockerCreateOptions(minimal), {
    name: 'n', Image: 'i', Env: [], Labels: {}, ExposedPorts: {},
    HostConfig: { RestartPolicy: { Name: 'no' }, NetworkMode: 'bridge', PortBindings: {} },
  }, 'no key for an option left out')
})

t.test('every field, where Docker reads it', async t => {
  const c: ContainerCreate = {
    name: 'app---web---0', image: 'nginx:1', cmd: ['nginx'], entrypoint: ['/init'], env: ['A=1'], labels: { l: 'v' },
    exposedPorts: ['80/tcp', '53/udp'], portBindings: { '80/tcp': [{ hostIp: '10.0.0.5', hostPort: '' }] }, networkMode: 'net',
    dns: ['1.1.1.1'], dnsSearch: ['app.dokkaa', 'dokkaa'], extraHosts: ['db:10.0.0.9'], hostname: 'h', domainname: 'd',
    memoryBytes: 1024, nanoCpus: 5e8, user: 'nobody', workingDir: '/w', tty: true, openStdin: false, stopSignal: 'SIGINT', stopTimeout: 3,
    shmSizeBytes: 64, readonlyRootfs: true, capDrop: ['NET_RAW'], tmpfs: { '/tmp': 'rw' }, ulimits: [{ name: 'nofile', soft: 1, hard: 2 }], init: true,
    healthcheck: { test: ['CMD', 'true'], intervalNs: 5e9, timeoutNs: 1e9, retries: 3, startPeriodNs: 0 },
  }
  t.strictSame(dockerCreateOptions(c), {
    name: 'app---web---0', Image: 'nginx:1', Env: ['A=1'], Labels: { l: 'v' }, ExposedPorts: { '80/tcp': {}, '53/udp': {} },
    HostConfig: {
      RestartPolicy: { Name: 'no' }, NetworkMode: 'net', PortBindings: { '80/tcp': [{ HostIp: '10.0.0.5', HostPort: '' }] },
      Memory: 1024, NanoCpus: 5e8, Dns: ['1.1.1.1'], DnsSearch: ['app.dokkaa', 'dokkaa'], ExtraHosts: ['db:10.0.0.9'],
      ShmSize: 64, ReadonlyRootfs: true, CapDrop: ['NET_RAW'], Tmpfs: { '/tmp': 'rw' }, Ulimits: [{ Name: 'nofile', Soft: 1, Hard: 2 }], Init: true,
    },
    Cmd: ['nginx'], Hostname: 'h', User: 'nobody', WorkingDir: '/w', Entrypoint: ['/init'], Tty: true, OpenStdin: false,
    StopSignal: 'SIGINT', StopTimeout: 3, Domainname: 'd',
    Healthcheck: { Test: ['CMD', 'true'], Interval: 5e9, Timeout: 1e9, Retries: 3, StartPeriod: 0 },
  })
  t.strictSame(dockerCreateOptions({ ...minimal, healthcheck: { test: ['NONE'] } }).Healthcheck, { Test: ['NONE'] }, 'a probe\'s unset durations keep Docker\'s defaults')
})

t.test('mounts: a named volume carries its labels for Docker to create it with; a bind is the host directory', async t => {
  const labels = { 'io.dokkaa.app': 'a', 'io.dokkaa.volume': 'data' }
  t.strictSame(dockerCreateOptions({
    ...minimal,
    mounts: [
      { type: 'volume', source: 'a---web---0---data', target: '/data', readOnly: false, labels },
      { type: 'bind', source: '/srv/conf', target: '/conf', readOnly: true },
    ],
  }).HostConfig?.Mounts, [
    { Type: 'volume', Source: 'a---web---0---data', Target: '/data', ReadOnly: false, VolumeOptions: { Labels: labels } },
    { Type: 'bind', Source: '/srv/conf', Target: '/conf', ReadOnly: true },
  ], 'no driver, no NoCopy: the local driver, and a fresh volume gets the image\'s files at the path (docker run -v)')
  const viaManifest = dockerCreateOptions(createOptions({ image: 'i', restart: 'always', services: {}, volumes: { data: '/data' } }, 'hash', { app: 'a', name: 'web', index: 0 },
    { hostId: 'h1', hostAddress: '10.0.0.5', domain: 'dokkaa.local', network: 'bridge', linkPorts: {} }, 'a---web'))
  t.strictSame(viaManifest.HostConfig?.Mounts, [{
    Type: 'volume', Source: 'a---web---0---data', Target: '/data', ReadOnly: false,
    VolumeOptions: { Labels: { 'io.dokkaa.app': 'a', 'io.dokkaa.name': 'web', 'io.dokkaa.instance': '0', 'io.dokkaa.volume': 'data', 'io.dokkaa.host': 'h1' } },
  }], 'a manifest\'s volume, end to end')
  t.notOk('Binds' in (viaManifest.HostConfig ?? {}), 'never Binds, which would create a missing host directory')
})

t.test('a manifest reaches Docker as it did before ContainerCreate', async t => {
  const host: HostContext = { hostId: 'h1', hostAddress: '10.0.0.5', ambassadorAddress: '172.17.0.1', domain: 'dokkaa.local', network: 'bridge', linkPorts: { nginx: 20001 } }
  const ref = { app: 'dummy', name: 'crawler', index: 1 }
  const labels = { 'io.dokkaa.app': 'dummy', 'io.dokkaa.name': 'crawler', 'io.dokkaa.instance': '1', 'io.dokkaa.host': 'h1', 'io.dokkaa.spec': 'hash' }
  const nginx: ContainerSpec = {
    image: 'nginx', restart: 'always', command: ['nginx', '-g', 'daemon off;'],
    services: { web: { port: 80, role: 'web' }, dns: { port: 53, protocol: 'udp' } },
    resources: { memory: '512m', cpus: 1.5 }, hostname: 'box', extraHosts: ['db:10.0.0.9'], dns: ['9.9.9.9'],
    dockerflags: { User: 'nobody', Init: true, CapDrop: ['NET_RAW'] },
  }
  t.strictSame(dockerCreateOptions(createOptions(nginx, 'hash', ref, { ...host, ambassadorAddress: undefined }, 'n1')), {
    name: 'n1', Image: 'nginx', Env: [], Labels: labels, ExposedPorts: { '80/tcp': {}, '53/udp': {} },
    HostConfig: {
      RestartPolicy: { Name: 'no' }, NetworkMode: 'bridge',
      PortBindings: { '80/tcp': [{ HostIp: '10.0.0.5', HostPort: '' }], '53/udp': [{ HostIp: '10.0.0.5', HostPort: '' }] },
      Memory: 536870912, NanoCpus: 1500000000, Dns: ['9.9.9.9'], ExtraHosts: ['db:10.0.0.9'], CapDrop: ['NET_RAW'], Init: true,
    },
    Cmd: ['nginx', '-g', 'daemon off;'], Hostname: 'box', User: 'nobody',
  })
  const crawler: ContainerSpec = { image: 'busybox', restart: 'always', command: 'sleep 1', services: {}, links: ['nginx'], env: { N: 3 } }
  t.strictSame(dockerCreateOptions(createOptions(crawler, 'hash', ref, host, 'n0')), {
    name: 'n0', Image: 'busybox', Env: ['N=3', 'SERVICE_NGINX_ADDR=172.17.0.1', 'SERVICE_NGINX_PORT=20001'], Labels: labels, ExposedPorts: {},
    HostConfig: {
      RestartPolicy: { Name: 'no' }, NetworkMode: 'bridge', PortBindings: {},
      Dns: ['172.17.0.1'], DnsSearch: ['dummy.dokkaa.local', 'dokkaa.local'],
    },
    Cmd: ['sh', '-c', 'sleep 1'],
  })
})
