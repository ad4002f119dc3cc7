import t from 'tap'
import { parse } from 'yaml'
import { DEFAULT_NODE_URL, renderCloudInit, renderTemplate } from './cloud-init.js'

const vars = {
  etcd: 'http://10.0.0.2:2379', prefix: '', host_id: 'demo-h1', host_address: '__PRIVATE_IP__', labels: 'region=ams3',
  lease_ttl: '5', dns_upstream: '67.207.67.2', node_url: DEFAULT_NODE_URL, dokkaa_package: 'dokkaa@0.1.0',
  etcd_enable: 'systemctl enable --now dokkaa-etcd', builder_enable: 'systemctl enable --now dokkaa-builder',
  cluster_key: 'c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0zMmJ5dGVzIQ==',
}

t.test('the rendered user-data is valid cloud-config carrying the systemd units', async t => {
  const text = renderCloudInit(vars)
  t.ok(text.startsWith('#cloud-config\n'))
  t.notMatch(text, /\{\{/, 'every placeholder is filled')
  const doc = parse(text) as { packages: string[]; write_files: { path: string; content: string }[]; runcmd: unknown[] }
  t.ok(doc.packages.includes('docker.io'))
  const files = Object.fromEntries(doc.write_files.map(f => [f.path, f.content]))
  t.match(files['/etc/dokkaa/env'], /^DOKKAA_ETCD=http:\/\/10\.0\.0\.2:2379$/m)
  t.match(files['/etc/dokkaa/env'], /^DOKKAA_HOST_ID=demo-h1$/m)
  t.match(files['/etc/systemd/system/dokkaa-conductor.service'], /EnvironmentFile=\/etc\/dokkaa\/env\n/)
  t.match(files['/etc/systemd/system/dokkaa-conductor.service'], /--host-id \$\{DOKKAA_HOST_ID\}/)
  t.match(files['/etc/systemd/system/dokkaa-etcd.service'], /ExecStart=\/usr\/bin\/etcd\n/)
  t.ok(doc.runcmd.some(c => JSON.stringify(c).includes('systemctl enable --now dokkaa-etcd')))
})

t.test('a missing or unsafe value is refused', async t => {
  t.throws(() => renderTemplate('{{x}}', {}, () => ''), { message: /needs a value for \{\{x\}\}/ })
  t.throws(() => renderTemplate('{{x}}', { x: "a'b" }, () => ''), { message: /may not contain/ })
})

t.test('the cluster key: written 0600; containers cut off from the metadata service before any conductor starts', async t => {
  const doc = parse(renderCloudInit(vars)) as { write_files: { path: string; content: string; permissions?: string }[]; runcmd: unknown[] }
  const key = doc.write_files.find(f => f.path === '/etc/dokkaa/cluster.key')
  t.match(key, { permissions: '0600', content: `${vars.cluster_key}\n` })
  const steps = doc.runcmd.map(c => JSON.stringify(c))
  const docker = steps.findIndex(s => s.includes('systemctl enable --now docker'))
  const block = steps.findIndex(s => s.includes('DOCKER-USER -d 169.254.169.254 -j REJECT'))
  const conductor = steps.findIndex(s => s.includes('dokkaa-conductor'))
  t.ok(docker >= 0 && block > docker && block < conductor, 'after dockerd makes DOCKER-USER, before the conductor runs a container')
})
