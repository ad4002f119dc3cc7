// What a manifest's volumes become in the container: a named volume by the documented
// name (`<app>---<name>---<index>---<volume>`, the same for every container of the
// instance) with the instance's labels, a bind of the host directory; and a missing host
// directory explained by the volume it belongs to.
import t from 'tap'
import type { ContainerSpec } from '../schemas/index.js'
import { createOptions, type HostContext } from './container-options.js'
import { explainMountError, volumeMounts } from './volume-mounts.js'

const ref = { app: 'shop', name: 'db', index: 2 }
const volumes: ContainerSpec['volumes'] = {
  data: '/var/lib/app',
  seed: { path: '/seed', readOnly: true },
  logs: { path: '/logs', hostPath: '/srv/logs' },
  conf: { path: '/etc/app', hostPath: '/srv/conf/', readOnly: true },
}
const labels = (volume: string) => ({
  'io.dokkaa.app': 'shop', 'io.dokkaa.name': 'db', 'io.dokkaa.instance': '2', 'io.dokkaa.volume': volume, 'io.dokkaa.host': 'h1',
})

t.test('named volumes: one Docker volume per instance and volume, labelled; binds: the host directory', async t => {
  t.strictSame(volumeMounts({ volumes }, ref, 'h1'), [
    { type: 'volume', source: 'shop---db---2---data', target: '/var/lib/app', readOnly: false, labels: labels('data') },
    { type: 'volume', source: 'shop---db---2---seed', target: '/seed', readOnly: true, labels: labels('seed') },
    { type: 'bind', source: '/srv/logs', target: '/logs', readOnly: false },
    { type: 'bind', source: '/srv/conf/', target: '/etc/app', readOnly: true },
  ])
  t.strictSame(volumeMounts({}, ref, 'h1'), [], 'no volumes, no mounts')
})

t.test('every container of the instance, on any spec, mounts the same volume: the data follows the instance, not the container', async t => {
  const host: HostContext = { hostId: 'h1', hostAddress: '10.0.0.5', domain: 'dokkaa.local', network: 'bridge', linkPorts: {} }
  const v1: ContainerSpec = { image: 'db:1', restart: 'always', services: {}, volumes: { data: '/var/lib/app' } }
  const v2: ContainerSpec = { ...v1, image: 'db:2', env: { X: 1 } }
  const first = createOptions(v1, 'hash1', ref, host, 'shop---db---2')
  const next = createOptions(v2, 'hash2', ref, host, 'shop---db---2--next-hash2')
  t.same(next.mounts, first.mounts)
  t.equal(first.mounts?.[0]?.source, 'shop---db---2---data')
  t.not(createOptions(v1, 'hash1', { ...ref, index: 3 }, host, 'n').mounts?.[0]?.source, first.mounts?.[0]?.source, 'another index: another volume')
  t.equal(createOptions({ ...v1, volumes: undefined }, 'h', ref, host, 'n').mounts, undefined, 'no volumes: no Mounts sent')
})

t.test('a missing host directory: Docker\'s message, then which volume and what to do', async t => {
  const docker = 'create container shop---db---2: invalid mount config for type "bind": bind source path does not exist: /srv/logs'
  t.equal(explainMountError(docker, { volumes }, 'h1'),
    `${docker} (volume "logs": its hostPath /srv/logs must exist on host h1; create it there, the instance is retried)`)
  const slash = 'create container x: invalid mount config for type "bind": bind source path does not exist: /srv/conf'
  t.match(explainMountError(slash, { volumes }, 'h1'), /volume "conf"/, 'a trailing slash in the manifest is the same directory')
  const spaced = 'create container x: invalid mount config for type "bind": bind source path does not exist: /srv/my logs'
  t.match(explainMountError(spaced, { volumes: { l: { path: '/l', hostPath: '/srv/my logs' } } }, 'h1'), /volume "l": its hostPath \/srv\/my logs must exist/, 'a path with a space')
  t.equal(explainMountError('create container x: bind source path does not exist: /elsewhere', { volumes }, 'h1'), undefined, 'not one of ours: as Docker said')
  t.equal(explainMountError('create container x: Minimum memory limit allowed is 6MB', { volumes }, 'h1'), undefined)
})
